/**
 * The app half of the page: ask Kestrel's assistant a question and see the answer, with a button to
 * open the trace the question produced.
 */
import { h, type ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { ask, type AssistantAnswer } from "./app/assistant";
import { SAMPLE_QUESTIONS } from "./app/docs";
import type { ModelSettings } from "./settings";

export interface AssistantPanelProps {
  settings: ModelSettings;
  onOpenTrace: (traceId: string, callId: string) => void;
}

/** One browser session id per page load, recorded as the `session_id` attribute. */
const SESSION = `web-${Math.random().toString(36).slice(2, 8)}`;

export function AssistantPanel({ settings, onOpenTrace }: AssistantPanelProps): ComponentChildren {
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<(AssistantAnswer & { question: string }) | null>(null);
  const suggestions = useMemo(() => [SAMPLE_QUESTIONS[0], SAMPLE_QUESTIONS[1], SAMPLE_QUESTIONS[2], SAMPLE_QUESTIONS[15]].filter((q): q is string => q !== undefined), []);

  const submit = async (text: string): Promise<void> => {
    const q = text.trim();
    if (!q || busy) return;
    setBusy(true);
    try {
      const answer = await ask(q, { endpoint: settings.mode === "endpoint" ? settings.endpoint : null, session: SESSION });
      setResult({ ...answer, question: q });
    } finally {
      setBusy(false);
    }
  };

  return h(
    "section",
    { class: "panel assistant", "aria-label": "Assistant" },
    h("h2", null, "Ask Kestrel's assistant"),
    h(
      "p",
      { class: "small muted" },
      settings.mode === "endpoint" ? `Model: ${settings.endpoint.model} at ${settings.endpoint.baseUrl}` : "Model: built-in offline stand-in",
    ),
    h(
      "form",
      {
        class: "ask-form",
        onSubmit: (event: Event) => {
          event.preventDefault();
          void submit(question);
        },
      },
      h("textarea", {
        class: "control",
        rows: 3,
        placeholder: "e.g. How much does the Team plan cost for 12 members per year?",
        "aria-label": "Question",
        "data-testid": "question",
        value: question,
        onInput: (event: Event) => setQuestion((event.currentTarget as HTMLTextAreaElement).value),
        onKeyDown: (event: KeyboardEvent) => {
          if (event.key === "Enter" && !event.shiftKey) {
            event.preventDefault();
            void submit(question);
          }
        },
      }),
      h("button", { type: "submit", class: "button primary", disabled: busy || question.trim() === "", "data-testid": "ask" }, busy ? "Thinking…" : "Ask"),
    ),
    h(
      "div",
      { class: "suggestions" },
      suggestions.map((s) =>
        h(
          "button",
          {
            key: s,
            type: "button",
            class: "chip",
            disabled: busy,
            onClick: () => {
              setQuestion(s);
              void submit(s);
            },
          },
          s,
        ),
      ),
    ),
    result
      ? h(
          "div",
          { class: "answer", "data-testid": "answer", role: "status" },
          h("p", { class: "answer-q" }, result.question),
          result.answer !== null ? h("p", { class: "answer-text" }, result.answer) : h("p", { class: "error-text" }, `The run failed: ${result.error ?? "unknown error"}`),
          result.sources.length > 0 ? h("p", { class: "small muted" }, `Sources: ${result.sources.join(", ")}`) : null,
          result.traceId && result.callId
            ? h("button", { type: "button", class: "button", "data-testid": "open-trace", onClick: () => onOpenTrace(result.traceId ?? "", result.callId ?? "") }, "View trace →")
            : null,
        )
      : null,
  );
}
