/**
 * One call in full: header facts, feedback, inputs, output, exception, attributes and summary
 * (usage, and `summary.weave.costs` from `include_costs`). Read with `calls_query` on `call_ids`,
 * because `call_read` has no `include_feedback`.
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { callStatus, feedbackRows, latencyMs, totalCost, totalTokens } from "./call-fields";
import { errorText } from "./errors";
import { FeedbackPanel } from "./feedback";
import { formatCost, formatCount, formatLatency, formatTime } from "./format";
import { JsonView, RefButton } from "./json-view";
import { opLabel, parseRef, type ParsedRef } from "./refs";
import { StatusBadge } from "./status-badge";
import { queryCalls } from "./calls-fetch";
import { PROJECT_ID } from "./store";
import type { Call } from "./weft-types";

export interface CallDetailProps {
  callId: string;
  tick: number;
  onRef: (ref: ParsedRef) => void;
}

function Section({ title, children, testId }: { title: string; children?: ComponentChildren; testId?: string }): ComponentChildren {
  return h("section", { class: "detail-section", "data-testid": testId }, h("h3", null, title), children);
}

function Fact({ label, children }: { label: string; children?: ComponentChildren }): ComponentChildren {
  return h("div", { class: "fact" }, h("dt", null, label), h("dd", null, children));
}

export function CallDetail({ callId, tick, onRef }: CallDetailProps): ComponentChildren {
  const [call, setCall] = useState<Call | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [warning, setWarning] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    queryCalls({ project_id: PROJECT_ID, filter: { call_ids: [callId] }, limit: 1, include_costs: true, include_feedback: true })
      .then(
        (res) => {
          if (stale) return;
          setCall(res.calls[0] ?? null);
          setWarning(res.warning);
          setError(null);
        },
        (err: unknown) => !stale && setError(errorText(err)),
      );
    return () => {
      stale = true;
    };
  }, [callId, tick]);

  if (error) return h("p", { class: "error-text", role: "alert" }, error);
  if (call === undefined) return h("p", { class: "muted" }, "Loading call…");
  if (call === null) return h("p", { class: "muted" }, "This call does not exist (or was deleted).");

  const opRef = parseRef(call.op_name);
  const tokens = totalTokens(call);
  const cost = totalCost(call);
  return h(
    "div",
    { class: "call-detail", "data-testid": "call-detail", "data-call-id": call.id },
    h(
      "header",
      { class: "detail-head" },
      h("h2", null, call.display_name ?? opLabel(call.op_name)),
      h(StatusBadge, { status: callStatus(call) }),
    ),
    warning ? h("p", { class: "warn-text small" }, warning) : null,
    h(
      "dl",
      { class: "facts" },
      h(Fact, { label: "Op" }, opRef && opRef.kind === "op" ? h(RefButton, { refValue: opRef, onRef, label: `${opRef.name}:${opRef.digest.slice(0, 8)}` }) : call.op_name),
      h(Fact, { label: "Started" }, formatTime(call.started_at)),
      h(Fact, { label: "Latency" }, formatLatency(latencyMs(call)) || "running"),
      h(Fact, { label: "Tokens" }, tokens === undefined ? "–" : formatCount(tokens)),
      h(Fact, { label: "Cost" }, cost === undefined ? "–" : formatCost(cost)),
      h(Fact, { label: "Call id" }, h("code", { class: "select-all" }, call.id)),
    ),
    h(Section, { title: "Feedback" }, h(FeedbackPanel, { callId: call.id, rows: feedbackRows(call) })),
    call.exception != null ? h(Section, { title: "Exception", testId: "exception" }, h("pre", { class: "exception" }, call.exception)) : null,
    h(Section, { title: "Inputs", testId: "inputs" }, h(JsonView, { value: call.inputs, onRef })),
    h(Section, { title: "Output", testId: "output" }, !call.ended_at
        ? h("p", { class: "muted" }, "Still running.")
        : call.exception != null && (call.output === null || call.output === undefined)
          ? h("p", { class: "muted" }, "No output: the call raised an exception.")
          : h(JsonView, { value: call.output ?? null, onRef })),
    Object.keys(call.attributes).length > 0 ? h(Section, { title: "Attributes" }, h(JsonView, { value: call.attributes, onRef, openDepth: 1 })) : null,
    h(Section, { title: "Summary" }, h(JsonView, { value: call.summary ?? {}, onRef, openDepth: 2 })),
  );
}
