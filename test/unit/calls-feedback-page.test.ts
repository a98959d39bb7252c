/**
 * `include_feedback` on pages of calls (weave-semantics.md §3.8): the page's feedback is read as the
 * span of its refs in the feedback index, and ref by ref when that span is crowded with other calls'
 * feedback. Both must attach exactly each call's rows, oldest first, whatever form the ref was
 * written in, and nothing of the calls around the page.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { LocalTraceServer } from "../../src/server";
import { refToInternal } from "../../src/server/refs/convert";
import { PROJECT, at, end, makeServer, start } from "./support/server";

const callRef = (id: string): string => `weave:///${PROJECT}/call/${id}`;
const ids = Array.from({ length: 12 }, (_, i) => `c${String(i).padStart(2, "0")}`);

type Page = Array<{ id: string; feedback: string[] }>;

async function page(s: LocalTraceServer, req: Record<string, unknown>): Promise<Page> {
  const res = await s.calls_query({ project_id: PROJECT, include_feedback: true, ...req });
  return res.calls.map((c) => ({
    id: c.id,
    feedback: ((c.summary?.["weave"] as { feedback: Array<{ payload: { note: string } }> }).feedback ?? []).map((f) => f.payload.note),
  }));
}

describe("include_feedback reads the page's feedback", () => {
  let s: LocalTraceServer;
  const note = (id: string, text: string, ref = callRef(id)) =>
    s.feedback_create({ project_id: PROJECT, weave_ref: ref, feedback_type: "wandb.note.1", payload: { note: text } });

  beforeAll(async () => {
    s = makeServer();
    for (const [i, id] of ids.entries()) {
      await s.call_start({ start: start({ id, trace_id: id, op_name: "my_op", started_at: at(i * 1000) }) } as never);
      await s.call_end({ end: end(id, { ended_at: at(i * 1000 + 10) }) } as never);
    }
    await note("c10", "first on c10");
    await note("c10", "second on c10, internal ref", refToInternal(callRef("c10")));
    await note("c09", "on c09");
    // Crowd the middle of the id span: 10 rows on c03…c07.
    for (const id of ["c03", "c04", "c05", "c06", "c07"]) {
      await note(id, `one on ${id}`);
      await note(id, `two on ${id}`);
    }
    await note("c00", "on c00");
  });

  it("a page of neighbouring calls gets each call's rows, both ref forms, oldest first", async () => {
    expect(await page(s, { sort_by: [{ field: "started_at", direction: "desc" }], limit: 3 })).toEqual([
      { id: "c11", feedback: [] },
      { id: "c10", feedback: ["first on c10", "second on c10, internal ref"] },
      { id: "c09", feedback: ["on c09"] },
    ]);
  });

  it("a page whose ref span is crowded with other calls' feedback (the per-ref read)", async () => {
    expect(await page(s, { filter: { call_ids: ["c00", "c11"] } })).toEqual([
      { id: "c00", feedback: ["on c00"] },
      { id: "c11", feedback: [] },
    ]);
  });

  it("the span read and the per-ref read agree on every call", async () => {
    const whole = await page(s, {});
    const one = await Promise.all(ids.map(async (id) => (await page(s, { filter: { call_ids: [id] } }))[0]));
    expect(whole).toEqual(one);
    expect(whole.find((c) => c.id === "c05")?.feedback).toEqual(["one on c05", "two on c05"]);
  });
});
