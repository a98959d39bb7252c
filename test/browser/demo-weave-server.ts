/**
 * A Weave-compatible trace server for the demo's export test: weft's own `LocalTraceServer` (on
 * fake-indexeddb) behind weft's HTTP fetch handler, on 127.0.0.1 with a free port, answering CORS
 * preflights the way a proxy in front of a Weave server must (the demo page is another origin).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createFetchHandler, toNodeListener } from "../../src/http/index";
import { createLocalTraceServer, type LocalTraceServer } from "../../src/server/index";

export interface WeaveServer {
  url: string;
  store: LocalTraceServer;
  /** The `Authorization` header of every request but preflights. */
  authorizations: string[];
  close(): Promise<void>;
}

export interface WeaveServerOptions {
  /**
   * Awaited before a request (not a preflight) is handled, with its method and path: a test holds a
   * request here (to cancel an export while it is in flight) or slows the server down.
   */
  beforeRequest?: (method: string, path: string) => Promise<void> | void;
}

/** @throws Error when it cannot listen */
export async function startWeaveServer(options: WeaveServerOptions = {}): Promise<WeaveServer> {
  const store = createLocalTraceServer({ dbName: "demo-export-target", indexedDB: new IDBFactory(), IDBKeyRange });
  const listener = toNodeListener(createFetchHandler(store));
  const authorizations: string[] = [];
  const server: Server = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", req.headers.origin ?? "*");
    res.setHeader("Access-Control-Allow-Headers", "authorization, content-type");
    res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    authorizations.push(req.headers.authorization ?? "");
    if (!options.beforeRequest) {
      listener(req, res);
      return;
    }
    // The body is read by the handler later; Node buffers it (paused) while we wait.
    Promise.resolve(options.beforeRequest(req.method ?? "GET", new URL(req.url ?? "/", "http://x").pathname)).then(
      () => listener(req, res),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    authorizations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
