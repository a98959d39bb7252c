/**
 * weft's side of the refs workload (R1), timed on the main thread through the client, paired with
 * baseline-refs.ts.
 */
import type { WeftClient } from "../../src/client/index";
import { BENCH_PROJECT } from "./synthetic";
import { objectRef, REF_OBJECTS, refExtra, syntheticObject } from "./synthetic-rows";
import { openClient } from "./weft-client";
import type { Rep } from "./workloads";

let fixture: { client: WeftClient; refs: string[] } | null = null;

/** A database holding the object versions (published untimed on first use) and the refs to them. */
async function objects(): Promise<{ client: WeftClient; refs: string[] }> {
  if (fixture) return fixture;
  const { client } = await openClient("refs");
  const refs = await Promise.all(
    Array.from({ length: REF_OBJECTS }, async (_, i) => {
      const { object_id, val } = syntheticObject(i);
      const { digest } = await client.obj_create({ obj: { project_id: BENCH_PROJECT, object_id, val } });
      return objectRef(object_id, digest, refExtra(i));
    }),
  );
  fixture = { client, refs };
  return fixture;
}

/** R1's database, filled now (untimed) so the driver can let the storage settle before timing. */
export async function prepareObjects(): Promise<void> {
  await objects();
}

/** R1: one `refs_read_batch` of REF_OBJECTS refs, two in five with a path into the value. */
export async function refsReadBatch(): Promise<Rep> {
  const { client, refs } = await objects();
  const start = performance.now();
  const res = await client.refs_read_batch({ refs });
  const ms = performance.now() - start;
  return { ms, rows: res.vals.length, count: res.vals.filter((v) => v !== null).length };
}
