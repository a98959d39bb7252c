/**
 * Feedback on one call: emoji reactions (`wandb.reaction.1`) and notes (`wandb.note.1`), written with
 * `feedback_create` against the call's ref and removed with `feedback_purge` by id
 * (weave-semantics.md §3). The rows shown are the ones `include_feedback` attached to the call.
 */
import { h, type ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { FeedbackRow } from "./call-fields";
import { errorText } from "./errors";
import { formatTime } from "./format";
import { notifyChanged } from "./live";
import { PROJECT_ID, callRef, client } from "./store";

const REACTIONS = ["👍", "👎", "🎉", "🤔", "👀"] as const;
const NOTE_MAX = 1024;

export interface FeedbackPanelProps {
  callId: string;
  rows: readonly FeedbackRow[];
}

async function purge(id: string): Promise<void> {
  await client.feedback_purge({ project_id: PROJECT_ID, query: { $expr: { $eq: [{ $getField: "id" }, { $literal: id }] } } });
}

export function FeedbackPanel({ callId, rows }: FeedbackPanelProps): ComponentChildren {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (work: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
      notifyChanged();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const reactions = rows.filter((row) => row.feedback_type === "wandb.reaction.1");
  const notes = rows.filter((row) => row.feedback_type === "wandb.note.1");
  const mine = (emoji: string): FeedbackRow | undefined => reactions.find((row) => row.payload.emoji === emoji);

  /** A reaction button toggles: the first click adds the reaction, the next one removes it. */
  const react = (emoji: string): Promise<void> =>
    run(async () => {
      const existing = mine(emoji);
      if (existing) await purge(existing.id);
      else await client.feedback_create({ project_id: PROJECT_ID, weave_ref: callRef(callId), feedback_type: "wandb.reaction.1", payload: { emoji } });
    });

  const addNote = (event: Event): void => {
    event.preventDefault();
    const text = note.trim();
    if (!text) return;
    void run(async () => {
      await client.feedback_create({ project_id: PROJECT_ID, weave_ref: callRef(callId), feedback_type: "wandb.note.1", payload: { note: text } });
      setNote("");
    });
  };

  const extraReactions = [...new Set(reactions.map((row) => String(row.payload.emoji)))].filter((e) => !(REACTIONS as readonly string[]).includes(e));
  return h(
    "div",
    { class: "feedback", "data-testid": "feedback" },
    h(
      "div",
      { class: "reactions", role: "group", "aria-label": "Reactions" },
      [...REACTIONS, ...extraReactions].map((emoji) => {
        const count = reactions.filter((row) => row.payload.emoji === emoji).length;
        return h(
          "button",
          {
            key: emoji,
            type: "button",
            class: `reaction${count > 0 ? " active" : ""}`,
            "aria-pressed": count > 0,
            "data-emoji": emoji,
            disabled: busy,
            title: count > 0 ? `Remove ${emoji}` : `React ${emoji}`,
            onClick: () => void react(emoji),
          },
          emoji,
          count > 0 ? h("span", { class: "count" }, String(count)) : null,
        );
      }),
    ),
    h(
      "ul",
      { class: "notes" },
      notes.map((row) =>
        h(
          "li",
          { key: row.id, class: "note", "data-testid": "note" },
          h("p", { class: "note-text" }, typeof row.payload.note === "string" ? row.payload.note : JSON.stringify(row.payload)),
          h(
            "div",
            { class: "note-meta" },
            `${row.wb_user_id ?? "local"} · ${formatTime(row.created_at)}`,
            h("button", { type: "button", class: "link-button", disabled: busy, onClick: () => void run(() => purge(row.id)) }, "delete"),
          ),
        ),
      ),
    ),
    h(
      "form",
      { class: "note-form", onSubmit: addNote },
      h("textarea", {
        class: "control",
        rows: 2,
        maxLength: NOTE_MAX,
        placeholder: "Add a note about this call…",
        "aria-label": "Note",
        value: note,
        onInput: (event: Event) => setNote((event.currentTarget as HTMLTextAreaElement).value),
      }),
      h("button", { type: "submit", class: "button", disabled: busy || note.trim() === "" }, "Add note"),
    ),
    error ? h("p", { class: "error-text", role: "alert" }, error) : null,
  );
}
