/**
 * Files (weave-semantics.md §7): `file_create`, `file_content_read`, `files_stats`.
 *
 * A file is content-addressed by `bytes_digest` of its raw bytes (§1.4) and stored once per
 * (project, digest): a `files` record with its size, and the bytes in `file_chunks` records of
 * `FILE_CHUNK_BYTES`. Chunks are written and read one at a time, so a large file is held in memory
 * once (the caller's buffer) plus one chunk, never twice.
 */
import { Dexie } from "dexie";
import { WeftError } from "../../errors";
import type {
  FileContentReadReq,
  FileContentReadRes,
  FileCreateReq,
  FileCreateRes,
  FilesStatsReq,
  FilesStatsRes,
} from "../../schema/files";
import type { ServerContext } from "../context";
import type { FileChunkRow } from "../db";
import { bytesDigestAsync } from "../digest-async";

/**
 * Bytes per `file_chunks` record: 1 MiB. Weave's ClickHouse uses 100 000 bytes (a row-size limit we
 * do not have); larger records mean fewer IndexedDB requests for media and op source alike.
 */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** Chunk `i` of `content`: the content itself when it is one whole-buffer chunk, else a copy. */
function chunkOf(content: Uint8Array, i: number): Uint8Array {
  const start = i * FILE_CHUNK_BYTES;
  if (start === 0 && content.byteLength <= FILE_CHUNK_BYTES && content.byteOffset === 0 && content.byteLength === content.buffer.byteLength) {
    return content;
  }
  // A copy, not a subarray: IndexedDB clones a view's whole underlying buffer.
  return content.slice(start, start + FILE_CHUNK_BYTES);
}

/**
 * `file_create` (§7): stores the bytes under their digest (idempotent; `name` is kept from the first
 * upload and is not part of the identity).
 * @throws WeftError `DIGEST_MISMATCH` when `expected_digest` differs from the content's digest
 *   (nothing stored); `QUOTA_EXCEEDED`/`STORAGE` from IndexedDB (the write is one transaction, so a
 *   failed one leaves no partial file).
 */
export async function fileCreate(ctx: ServerContext, req: FileCreateReq): Promise<FileCreateRes> {
  const content = req.content;
  const digest = await bytesDigestAsync(content);
  if (req.expected_digest != null && req.expected_digest !== digest) {
    throw new WeftError("DIGEST_MISMATCH", `Digest mismatch: client file digest ${req.expected_digest} != server digest ${digest}`, {
      expected_digest: req.expected_digest,
      digest,
    });
  }
  const db = ctx.db;
  const projectId = req.project_id;
  const nChunks = Math.max(1, Math.ceil(content.byteLength / FILE_CHUNK_BYTES));
  await db.transaction("rw", [db.files, db.file_chunks], async () => {
    if (await db.files.get([projectId, digest])) return;
    // One put at a time: each chunk copy is cloned by IndexedDB and dropped before the next is made.
    for (let i = 0; i < nChunks; i++) {
      await db.file_chunks.put({ project_id: projectId, digest, chunk_index: i, bytes: chunkOf(content, i) });
    }
    // The file record last: whoever sees it also sees every chunk.
    await db.files.put({ project_id: projectId, digest, name: req.name, size_bytes: content.byteLength, n_chunks: nChunks, created_at: ctx.now() });
  });
  return { digest };
}

/**
 * `file_content_read` (§7): the bytes of a stored file, reassembled in `chunk_index` order.
 * @throws WeftError `NOT_FOUND` "File <digest> not found"; `STORAGE` when a chunk is missing or
 *   IndexedDB fails.
 */
export async function fileContentRead(ctx: ServerContext, req: FileContentReadReq): Promise<FileContentReadRes> {
  const db = ctx.db;
  const file = await db.files.get([req.project_id, req.digest]);
  if (!file) throw new WeftError("NOT_FOUND", `File ${req.digest} not found`, { digest: req.digest });
  const chunkAt = async (i: number): Promise<FileChunkRow> => {
    const chunk = await db.file_chunks.get([req.project_id, req.digest, i]);
    if (!chunk) throw new WeftError("STORAGE", `File ${req.digest} is incomplete: chunk ${i} of ${file.n_chunks} is missing`);
    return chunk;
  };
  if (file.n_chunks === 1) {
    const only = (await chunkAt(0)).bytes;
    if (only.byteLength === file.size_bytes) return { content: only };
  }
  const content = new Uint8Array(file.size_bytes);
  let offset = 0;
  for (let i = 0; i < file.n_chunks; i++) {
    const bytes = (await chunkAt(i)).bytes;
    // Weave truncates to the recorded size; the same guard keeps a bad record from overflowing.
    const take = Math.min(bytes.byteLength, content.byteLength - offset);
    content.set(take === bytes.byteLength ? bytes : bytes.subarray(0, take), offset);
    offset += take;
  }
  if (offset !== file.size_bytes) {
    throw new WeftError("STORAGE", `File ${req.digest} is incomplete: ${offset} of ${file.size_bytes} bytes stored`);
  }
  return { content };
}

/**
 * `files_stats` (§7): `total_size_bytes` of the project's files (each distinct file once).
 * @throws WeftError `STORAGE` from IndexedDB.
 */
export async function filesStats(ctx: ServerContext, req: FilesStatsReq): Promise<FilesStatsRes> {
  const files = await ctx.db.files
    .where("[project_id+digest]")
    .between([req.project_id, Dexie.minKey], [req.project_id, Dexie.maxKey])
    .toArray();
  let total = 0;
  for (const file of files) total += file.size_bytes;
  return { total_size_bytes: total };
}
