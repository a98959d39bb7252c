/**
 * The order planned things are sent in: a thing after everything it refers to (content addressing
 * makes cycles impossible: a digest cannot contain itself); among things that are ready, files, then
 * tables, then objects, then by creation time and version, so versions of one object arrive oldest
 * first and the newest one ends up `latest` on the target, as it is in the source (§4.4).
 */
import { WeftError } from "../errors";
import type { PlanNode } from "./plan";

const TYPE_RANK = { file: 0, table: 1, object: 2 } as const;

/**
 * `nodes` in send order: each after the nodes (of this list) it depends on; ready nodes by kind
 * (files, tables, objects), then creation time and version, then key. Dependencies outside the
 * list are taken as already sent.
 * @throws WeftError INTERNAL on a dependency cycle (impossible for content-addressed values)
 */
export function sendOrder(nodes: readonly PlanNode[]): PlanNode[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    const inList = n.deps.filter((d) => byKey.has(d));
    waiting.set(n.key, inList.length);
    for (const d of inList) {
      const list = dependents.get(d);
      if (list) list.push(n.key);
      else dependents.set(d, [n.key]);
    }
  }
  const before = (a: PlanNode, b: PlanNode): number => {
    const rank = TYPE_RANK[a.type] - TYPE_RANK[b.type];
    if (rank !== 0) return rank;
    if (a.type === "object" && b.type === "object") {
      const at = a.created_at ?? "";
      const bt = b.created_at ?? "";
      if (at !== bt) return at < bt ? -1 : 1;
      const versions = (a.version_index ?? 0) - (b.version_index ?? 0);
      if (versions !== 0) return versions;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
  const ready = nodes.filter((n) => waiting.get(n.key) === 0).sort(before);
  const out: PlanNode[] = [];
  while (ready.length > 0) {
    const node = ready.shift() as PlanNode;
    out.push(node);
    for (const key of dependents.get(node.key) ?? []) {
      const left = (waiting.get(key) ?? 0) - 1;
      waiting.set(key, left);
      if (left !== 0) continue;
      const next = byKey.get(key) as PlanNode;
      // Binary insertion keeps `ready` sorted without re-sorting it per node.
      let lo = 0;
      let hi = ready.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (before(ready[mid] as PlanNode, next) <= 0) lo = mid + 1;
        else hi = mid;
      }
      ready.splice(lo, 0, next);
    }
  }
  if (out.length !== nodes.length) throw new WeftError("INTERNAL", "Export plan has a dependency cycle; this is a bug in weft's exporter.");
  return out;
}
