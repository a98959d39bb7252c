/**
 * `ensure_project_exists` (weave-semantics.md §11): projects need no creation in a local store; the
 * method answers with the project name, as Weave's SQLite and ClickHouse servers do.
 */
import type { EnsureProjectExistsReq, EnsureProjectExistsRes } from "../schema/projects";
import type { ServerContext } from "./context";

export async function ensureProjectExists(_ctx: ServerContext, req: EnsureProjectExistsReq): Promise<EnsureProjectExistsRes> {
  return { project_name: req.project };
}
