/**
 * Nesting scenarios shared by the Node tests (`test/unit/trace-nesting.test.ts`) and the Chromium
 * page (`test/browser/pages/trace-page.ts`): each runs a root op whose descendants are labelled by
 * their first argument, and returns the parent each label should have. `limited` rows are the ones
 * the promise patch documents as not followed (they become roots there); `AsyncLocalStorage` and
 * `AsyncContext` follow them too.
 */
import { bindContext, getCurrentCall, op, withCall } from "../../src/trace/index";

/** A label and the label of the call it should nest under (null: a root). */
export interface Expectation {
  label: string;
  parent: string | null;
  /** Not followed by "promise-patch" (documented): there the call is a root of its own trace. */
  limited?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
async function notAnOp(): Promise<number> {
  await sleep(1);
  return 1;
}

const leaf = op(async function leaf(label: string) {
  return label;
});
const syncLeaf = op(function syncLeaf(label: string) {
  return label;
});
const syncMid = op(function syncMid(label: string) {
  return syncLeaf(`${label}.inner`);
});
const child = op(async function child(label: string) {
  await sleep(1);
  await leaf(`${label}.x`);
  await Promise.resolve();
  return leaf(`${label}.y`);
});
const branch = op(async function branch(label: string, delay: number) {
  await sleep(delay);
  await child(`${label}.c`);
  await sleep(1);
  syncLeaf(`${label}.s`);
  return leaf(`${label}.l`);
});
const failing = op(async function failing(label: string) {
  await sleep(1);
  await leaf(`${label}.before`);
  throw new Error(`boom ${label}`);
});
const syncFailing = op(function syncFailing(label: string) {
  syncLeaf(`${label}.before`);
  throw new Error(`sync boom ${label}`);
});
const numbers = op(function* numbers(label: string) {
  yield syncLeaf(`${label}.g1`);
  yield syncLeaf(`${label}.g2`);
});
const stream = op(async function* stream(label: string) {
  await sleep(1);
  yield await leaf(`${label}.a1`);
  await sleep(1);
  yield syncLeaf(`${label}.a2`);
});

const kids = (parent: string, ...labels: string[]): Expectation[] => labels.map((label) => ({ label: `${parent}${label}`, parent }));
const childOf = (label: string): Expectation[] => [{ label, parent: label.slice(0, label.lastIndexOf(".")) }, ...kids(label, ".x", ".y")];

/** The scenarios, by name; each takes a unique label prefix. */
export const SCENARIOS: Record<string, (p: string) => Promise<Expectation[]>> = {
  async sequentialAwaits(p) {
    await op(async function sequentialAwaits(label: string) {
      syncLeaf(`${label}.sync0`);
      await sleep(2);
      await leaf(`${label}.a`);
      await child(`${label}.child`);
      syncLeaf(`${label}.sync1`);
      await notAnOp();
      await fetchLikeChain();
      await leaf(`${label}.b`);
      const res = await fetch("data:text/plain,hello");
      syncLeaf(`${label}.fetched`);
      await res.text();
      await leaf(`${label}.read`);
    })(p);
    return [{ label: p, parent: null }, ...kids(p, ".sync0", ".a", ".sync1", ".b", ".fetched", ".read"), ...childOf(`${p}.child`)];
  },

  async promiseAllBranches(p) {
    await op(async function promiseAllBranches(label: string) {
      await sleep(1);
      await Promise.all([branch(`${label}.b1`, 6), branch(`${label}.b2`, 1), branch(`${label}.b3`, 3)]);
      await leaf(`${label}.after`);
    })(p);
    const branchKids = (b: string) => [{ label: b, parent: p }, ...childOf(`${b}.c`), ...kids(b, ".s", ".l")];
    return [{ label: p, parent: null }, ...branchKids(`${p}.b1`), ...branchKids(`${p}.b2`), ...branchKids(`${p}.b3`), ...kids(p, ".after")];
  },

  async syncInsideAsync(p) {
    await op(async function syncInsideAsync(label: string) {
      await sleep(1);
      syncMid(`${label}.m0`);
      await Promise.all([1, 2].map(async (i) => (await sleep(i), syncMid(`${label}.m${i}`))));
    })(p);
    const mids = ["m0", "m1", "m2"].flatMap((m) => [{ label: `${p}.${m}`, parent: p }, ...kids(`${p}.${m}`, ".inner")]);
    return [{ label: p, parent: null }, ...mids];
  },

  async generators(p) {
    await op(async function generators(label: string) {
      for (const _ of numbers(`${label}.gen`)) await sleep(1);
      let n = 0;
      for await (const _ of stream(`${label}.agen`)) await leaf(`${label}.consume${n++}`);
    })(p);
    return [{ label: p, parent: null }, { label: `${p}.gen`, parent: p }, ...kids(`${p}.gen`, ".g1", ".g2"), { label: `${p}.agen`, parent: p }, ...kids(`${p}.agen`, ".a1", ".a2"), ...kids(p, ".consume0", ".consume1")];
  },

  async errors(p) {
    await op(async function errors(label: string) {
      await failing(`${label}.f1`).catch(() => undefined);
      await leaf(`${label}.afterCatch`);
      try {
        await failing(`${label}.f3`);
      } catch {
        await leaf(`${label}.inCatch`);
      }
      await Promise.allSettled([failing(`${label}.f2`), leaf(`${label}.ok`)]);
      try {
        syncFailing(`${label}.sf`);
      } catch {
        syncLeaf(`${label}.afterSync`);
      }
      await leaf(`${label}.end`);
    })(p);
    const failed = [".f1", ".f2", ".f3", ".sf"].flatMap((f) => kids(`${p}${f}`, ".before"));
    return [{ label: p, parent: null }, ...kids(p, ".f1", ".afterCatch", ".f3", ".inCatch", ".f2", ".ok", ".sf", ".afterSync", ".end"), ...failed];
  },

  async thenChains(p) {
    await op(function thenChains(label: string) {
      return sleep(1)
        .then(() => leaf(`${label}.t1`))
        .then(() => sleep(1))
        .then(() => syncLeaf(`${label}.t2`))
        .then(() => Promise.reject(new Error("rejected")))
        .catch(() => syncLeaf(`${label}.caught`))
        .finally(() => syncLeaf(`${label}.fin`));
    })(p);
    return [{ label: p, parent: null }, ...kids(p, ".t1", ".t2", ".caught", ".fin")];
  },

  async explicitForms(p) {
    await op(async function explicitForms(label: string) {
      await new Promise<void>((resolve) => setTimeout(bindContext(() => (syncLeaf(`${label}.bound`), resolve())), 1));
      const call = getCurrentCall();
      await new Promise<void>((resolve) => setTimeout(() => (call && withCall(call, () => syncLeaf(`${label}.withCall`)), resolve()), 1));
    })(p);
    return [{ label: p, parent: null }, ...kids(p, ".bound", ".withCall")];
  },

  async timerCallback(p) {
    await op(async function timerCallback(label: string) {
      await new Promise<void>((resolve) => setTimeout(() => (syncLeaf(`${label}.timer`), resolve()), 1));
    })(p);
    return [{ label: p, parent: null }, { label: `${p}.timer`, parent: p, limited: true }];
  },

  async promiseSubclasses(p) {
    class Plain<T> extends Promise<T> {}
    // Like the `openai` package's APIPromise: its own `then` calls a native `then` later, in a job.
    class Lazy<T> extends Promise<T> {
      override then<A = T, B = never>(onFulfilled?: ((v: T) => A | PromiseLike<A>) | null, onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
        return sleep(1).then(() => super.then(onFulfilled, onRejected));
      }
    }
    await op(async function promiseSubclasses(label: string) {
      await new Plain<void>((resolve) => setTimeout(resolve, 1));
      syncLeaf(`${label}.afterPlain`);
      await new Lazy<void>((resolve) => setTimeout(resolve, 1));
      syncLeaf(`${label}.afterLazy`);
    })(p);
    return [{ label: p, parent: null }, { label: `${p}.afterPlain`, parent: p }, { label: `${p}.afterLazy`, parent: p, limited: true }];
  },

  async foreignThenable(p) {
    await op(async function foreignThenable(label: string) {
      await { then: (resolve: (v: number) => void) => setTimeout(() => resolve(1), 1) };
      syncLeaf(`${label}.afterThenable`);
    })(p);
    return [{ label: p, parent: null }, { label: `${p}.afterThenable`, parent: p, limited: true }];
  },

  async nonPromiseAwait(p) {
    await op(async function nonPromiseAwait(label: string) {
      await 5;
      syncLeaf(`${label}.after5`);
    })(p);
    return [{ label: p, parent: null }, { label: `${p}.after5`, parent: p, limited: true }];
  },
};

/** A plain (untraced) chain of awaits on fetch-like promises. */
async function fetchLikeChain(): Promise<void> {
  const response = await Promise.resolve({ json: () => Promise.resolve({ ok: true }) });
  await response.json();
}

/** A stored call, as far as the check needs it. */
export interface CallShape {
  id: string;
  trace_id: string;
  parent_id?: string | null | undefined;
  inputs: Record<string, unknown>;
}

/**
 * Compares the stored calls of one scenario (labels under `expected[0].label`) with the expectations;
 * returns one line per problem (empty: all right).
 * With `followsLimited` false, `limited` rows must be roots of their own trace instead.
 */
export function checkNesting(allCalls: CallShape[], expected: Expectation[], followsLimited: boolean): string[] {
  const prefix = expected[0]?.label ?? "";
  const calls = allCalls.filter((c) => c.inputs.arg0 === prefix || String(c.inputs.arg0).startsWith(`${prefix}.`));
  const byLabel = new Map(calls.map((c) => [c.inputs.arg0, c]));
  const problems: string[] = [];
  const root = calls.find((c) => c.inputs.arg0 === expected[0]?.label);
  for (const e of expected) {
    const call = byLabel.get(e.label);
    if (!call) {
      problems.push(`${e.label}: not stored`);
      continue;
    }
    const wantParent = e.limited && !followsLimited ? null : e.parent;
    const parent = call.parent_id ? calls.find((c) => c.id === call.parent_id) : undefined;
    const gotParent = call.parent_id ? ((parent?.inputs.arg0 as string | undefined) ?? `?${call.parent_id}`) : null;
    if (gotParent !== wantParent) problems.push(`${e.label}: parent ${String(gotParent)}, expected ${String(wantParent)}`);
    if (wantParent !== null && call.trace_id !== root?.trace_id) problems.push(`${e.label}: trace ${call.trace_id}, expected the root's ${String(root?.trace_id)}`);
    if (wantParent === null && e !== expected[0] && call.trace_id === root?.trace_id) problems.push(`${e.label}: a root sharing the scenario's trace`);
  }
  if (calls.length !== expected.length) problems.push(`stored ${calls.length} calls, expected ${expected.length}`);
  return problems;
}
