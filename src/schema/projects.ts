/**
 * Projects: `ensure_project_exists` (weave-semantics.md §11). Weave's method takes `(entity, project)`
 * as two arguments and has no HTTP route; weft's method table takes one request object per method, so
 * the request is `{entity, project}`.
 */
import { z } from "zod";
import { ProjectIdSchema } from "./common";

/** One half of `entity/project`: non-empty, no `/`, no whitespace. */
const ProjectPartSchema = z
  .string()
  .min(1, "must not be empty")
  .regex(/^[^/\s]+$/, "must not contain '/' or whitespace");

/**
 * `ensure_project_exists` request, weft's one-object form of Weave's `(entity, project)`. The joined
 * `entity/project` must also be a valid `project_id` (its length cap), checked by `ProjectIdSchema`
 * itself so the rule lives in one place.
 */
export const EnsureProjectExistsReqSchema = z
  .strictObject({
    entity: ProjectPartSchema,
    project: ProjectPartSchema,
  })
  .superRefine(({ entity, project }, ctx) => {
    const joined = ProjectIdSchema.safeParse(`${entity}/${project}`);
    for (const issue of joined.error?.issues ?? []) ctx.addIssue({ code: "custom", message: issue.message });
  });
export type EnsureProjectExistsReq = z.infer<typeof EnsureProjectExistsReqSchema>;

/** `ensure_project_exists` response: the project's name (Weave's local servers echo `project`, §11). */
export const EnsureProjectExistsResSchema = z.object({ project_name: z.string() });
export type EnsureProjectExistsRes = z.infer<typeof EnsureProjectExistsResSchema>;
