/**
 * The one Comlink `throw` transfer handler. Comlink's default keeps only `name`, `message` and
 * `stack` of an `Error`, so a `WeftError`'s `code` and `details` would be lost at the worker
 * boundary. Ours sends whatever was thrown as `toWeftError(x).toWire()` (plain data) and rebuilds a
 * real `WeftError` on the receiving side, so `instanceof WeftError` holds on the main thread.
 */
import { transferHandlers, type TransferHandler } from "comlink";
import { WeftError, toWeftError, type WeftErrorWire } from "../errors";

/** Marks our handler so a second install (the other side, a second client) is a no-op. */
const INSTALLED = Symbol.for("weft.error-transfer");

/** Comlink wraps a thrown value as `{ value, [privateMarker]: 0 }` before asking the handler. */
interface Thrown {
  value: unknown;
}

type WeftThrowHandler = TransferHandler<Thrown, WeftErrorWire> & { [INSTALLED]: true };

function isOurs(handler: TransferHandler<unknown, unknown> | undefined): boolean {
  return handler !== undefined && (handler as Partial<WeftThrowHandler>)[INSTALLED] === true;
}

/**
 * The wire form of anything thrown. `details` is promised to be plain data, but a server bug could
 * put a function or a DOM object in it: postMessage would then fail and the caller would get
 * Comlink's "Unserializable return value" instead of the real error, so drop unclonable details.
 */
function wireOf(thrown: unknown): WeftErrorWire {
  const wire = toWeftError(thrown).toWire();
  if (wire.details !== undefined) {
    try {
      structuredClone(wire.details);
    } catch {
      delete wire.details;
    }
  }
  return wire;
}

/**
 * Rebuilds the error on the receiving side. A peer running Comlink's default handler sends
 * `{ isError, value }`; accept that too, so a mismatched worker still yields a `WeftError`.
 */
function errorOf(serialized: unknown): WeftError {
  if (WeftError.isWire(serialized)) return WeftError.fromWire(serialized);
  if (typeof serialized === "object" && serialized !== null && "isError" in serialized) {
    return toWeftError((serialized as { isError: unknown; value?: unknown }).value);
  }
  return toWeftError(serialized);
}

/**
 * Replaces Comlink's `throw` transfer handler with weft's, in this realm. Call it on both sides of
 * the boundary (the worker entry and `createClient` do); calling it again is a no-op.
 * @throws WeftError INTERNAL when the loaded Comlink has no `throw` handler to replace (an
 *   incompatible Comlink version).
 */
export function installErrorTransfer(): void {
  const current = transferHandlers.get("throw");
  if (isOurs(current)) return;
  if (current === undefined) {
    throw new WeftError("INTERNAL", "Comlink has no 'throw' transfer handler to replace: use comlink 4.x.");
  }
  // Comlink recognises its thrown-value wrapper by a private symbol; reuse its own check.
  const canHandle = current.canHandle.bind(current);
  const handler: WeftThrowHandler = {
    [INSTALLED]: true,
    canHandle: (value: unknown): value is Thrown => canHandle(value),
    serialize: ({ value }) => [wireOf(value), []],
    deserialize: (serialized) => {
      // Comlink turns a throwing deserialize into the rejection of the pending call.
      throw errorOf(serialized);
    },
  };
  transferHandlers.set("throw", handler as TransferHandler<unknown, unknown>);
}
