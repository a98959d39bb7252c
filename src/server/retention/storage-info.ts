/**
 * `storageInfo()`: what the browser says about this origin's storage. `navigator.storage.estimate()`
 * and `persisted()` exist in windows and in workers alike, so the worker answers for the page (the
 * figures are per origin, not per database). Where the realm has no StorageManager — Node, an
 * insecure context, an old browser — each value is null rather than a guess.
 */
import type { StorageInfoRes } from "../../schema/extensions";

/** The StorageManager of this realm, if it has one. */
function storageManager(): StorageManager | undefined {
  const nav = (globalThis as { navigator?: { storage?: StorageManager } }).navigator;
  return nav?.storage;
}

/**
 * `{usage, quota, persisted}` in bytes and as a flag, each null where unavailable.
 * @throws never: a browser that refuses to answer is reported as nulls.
 */
export async function storageInfo(): Promise<StorageInfoRes> {
  const storage = storageManager();
  const estimate = typeof storage?.estimate === "function" ? await storage.estimate().catch(() => undefined) : undefined;
  const persisted = typeof storage?.persisted === "function" ? await storage.persisted().catch(() => null) : null;
  return { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null, persisted };
}
