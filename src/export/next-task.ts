/**
 * Giving the event loop a turn: exports and imports run on the page's main thread, and the parts
 * of a long transfer that are plain computation (decompressing, parsing, rewriting refs, copying
 * a batch into a message) must not hold it for longer than a frame or so at a time.
 */

/**
 * One turn of the event loop (a task, not a microtask): `scheduler.yield()` where there is one,
 * else a message on a fresh channel.
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
