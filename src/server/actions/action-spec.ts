/**
 * The `ActionSpec` object an `actions_execute_batch` request points to (weave-semantics.md §10):
 * `{name, description?, config}` with `config.action_type` `"contains_words"` or `"llm_judge"`,
 * read from the objects store and checked the way Weave's `ActionSpec.model_validate` checks it.
 */
import { z } from "zod";
import { fromZodError, validationError } from "../../errors";
import type { ServerContext } from "../context";
import { readLiveVersion } from "../objects/read";
import { toExternalRefs } from "../refs/convert";
import { internalProjectId, parseAnyRef, type Ref } from "../refs/uri";

const ContainsWordsConfigSchema = z.object({
  action_type: z.literal("contains_words"),
  target_words: z.array(z.string()),
});

/**
 * Weave limits `model` to gpt-4o / gpt-4o-mini because it only holds an OpenAI key; weft accepts any
 * model its provider registry can route (`providerForModel`).
 */
const LlmJudgeConfigSchema = z.object({
  action_type: z.literal("llm_judge"),
  model: z.string(),
  prompt: z.string(),
  response_schema: z.record(z.string(), z.unknown()),
});

/** `ActionSpec` (a builtin object class); unknown keys (`_type`, `_class_name`, `_bases`, `ref`) are ignored. */
export const ActionSpecSchema = z.object({
  name: z.string(),
  description: z.string().nullish(),
  config: z.discriminatedUnion("action_type", [ContainsWordsConfigSchema, LlmJudgeConfigSchema]),
});
export type ActionSpec = z.infer<typeof ActionSpecSchema>;
export type ContainsWordsConfig = z.infer<typeof ContainsWordsConfigSchema>;
export type LlmJudgeConfig = z.infer<typeof LlmJudgeConfigSchema>;

/** A resolved action: its spec and the object name feedback is typed after (`wandb.runnable.<name>`). */
export interface ResolvedAction {
  /** The object id in the ref; Weave names the feedback type after it, not after `spec.name`. */
  objectName: string;
  spec: ActionSpec;
}

type ObjectRef = Extract<Ref, { kind: "object" | "op" }>;

/**
 * Parses `action_ref` and checks it is an object ref into `projectId` (Weave raises TypeError for
 * anything else; weft answers VALIDATION). Both the external and the internal form are accepted.
 */
function parseActionRef(actionRef: string, projectId: string): ObjectRef {
  let parsed: { ref: Ref; external: boolean };
  try {
    parsed = parseAnyRef(actionRef);
  } catch (error) {
    throw validationError("action_ref", error instanceof Error ? error.message : String(error));
  }
  const { ref, external } = parsed;
  if (ref.kind !== "object") {
    throw validationError("action_ref", `must be an object ref (weave:///<entity>/<project>/object/<name>:<digest>), got a ${ref.kind} ref`);
  }
  const project = external ? projectId : internalProjectId(projectId);
  if (ref.project !== project) throw validationError("action_ref", `${actionRef} is not in project ${projectId}`);
  if (ref.extra.length > 0) throw validationError("action_ref", "must name a whole ActionSpec object, without a path after the version");
  return ref;
}

/**
 * Reads and checks the ActionSpec `actionRef` names. The version may be a digest, `latest` or `v<N>`.
 * @throws WeftError VALIDATION (not an object ref of the project, or not a valid ActionSpec, listing
 *   the offending fields); NOT_FOUND (no such version); OBJECT_DELETED (the version was deleted).
 */
export async function readActionSpec(ctx: ServerContext, actionRef: string, projectId: string): Promise<ResolvedAction> {
  const ref = parseActionRef(actionRef, projectId);
  const row = await readLiveVersion(ctx, projectId, ref.name, ref.version);
  const parsed = ActionSpecSchema.safeParse(toExternalRefs(JSON.parse(row.val_dump) as unknown));
  if (!parsed.success) throw fromZodError(parsed.error, `ActionSpec at action_ref ${actionRef}`);
  return { objectName: ref.name, spec: parsed.data };
}
