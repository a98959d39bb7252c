/**
 * Test support: a fresh `LocalTraceServer` on fake-indexeddb (an isolated in-memory IndexedDB per
 * server), plus small builders for call starts and ends.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createLocalTraceServer, type LocalTraceServer } from "../../../src/server";

let counter = 0;

/** A server over its own in-memory IndexedDB. */
export function makeServer(options: { now?: () => number } = {}): LocalTraceServer {
  counter++;
  return createLocalTraceServer({
    dbName: `weft-test-${counter}`,
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    ...(options.now ? { now: options.now } : {}),
  });
}

export const PROJECT = "shawn/test-project";

/** A minimal valid start for `project`. */
export function start(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project_id: PROJECT,
    op_name: "test_op",
    started_at: new Date().toISOString(),
    attributes: {},
    inputs: {},
    ...fields,
  };
}

/** A minimal valid end for `id`. */
export function end(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { project_id: PROJECT, id, ended_at: new Date().toISOString(), summary: {}, ...fields };
}

/** ISO time `ms` milliseconds after a fixed base (2025-01-01T12:00:00Z). */
export function at(ms: number): string {
  return new Date(Date.UTC(2025, 0, 1, 12) + ms).toISOString();
}
