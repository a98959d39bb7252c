/**
 * Files: `file_create`, `file_content_read`, `files_stats` (weave-semantics.md §7). Content is binary:
 * a `Uint8Array` (an `ArrayBuffer` is accepted and wrapped), which crosses `postMessage` as is.
 */
import { z } from "zod";
import { OptionalString, ProjectIdSchema } from "./common";

/**
 * Largest file weft accepts: 1 GiB. Weave stores any size in 100 000-byte chunks (§7); a browser holds
 * the whole file in memory while storing it, so we cap well above real use (media, op source) but
 * below what would exhaust a tab.
 */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

function typeTag(value: unknown): string {
  return Object.prototype.toString.call(value);
}

/**
 * Binary content: a `Uint8Array` or an `ArrayBuffer` (also from another realm, e.g. a frame), at most
 * `MAX_FILE_BYTES`, always returned as a `Uint8Array` that owns its whole buffer. A view onto part of a
 * larger buffer (a pooled Node `Buffer`, a `subarray`) is copied, because IndexedDB and `postMessage`
 * clone the entire underlying buffer, not just the view; a plain whole-buffer array is passed through
 * without a copy.
 */
export const BytesSchema = z
  .custom<Uint8Array | ArrayBuffer>(
    (value) => typeTag(value) === "[object Uint8Array]" || typeTag(value) === "[object ArrayBuffer]",
    { message: "must be binary content (a Uint8Array or an ArrayBuffer)" },
  )
  .transform((value, ctx): Uint8Array => {
    if (value.byteLength > MAX_FILE_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: `file is ${value.byteLength} bytes; the limit is ${MAX_FILE_BYTES} bytes (1 GiB)`,
      });
      return z.NEVER;
    }
    if (typeTag(value) === "[object ArrayBuffer]") return new Uint8Array(value as ArrayBuffer);
    const view = value as Uint8Array;
    const plain = Object.getPrototypeOf(view) === Uint8Array.prototype;
    if (plain && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return view;
    return new Uint8Array(view);
  });
export type Bytes = z.infer<typeof BytesSchema>;

/** `file_create` request (§7). `name` is stored but is not part of the file's identity (the digest is). */
export const FileCreateReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  name: z.string(),
  content: BytesSchema,
  /** Client-computed file digest; a mismatch is DIGEST_MISMATCH 409 (HEAD, §1.5). */
  expected_digest: OptionalString,
});
export type FileCreateReq = z.infer<typeof FileCreateReqSchema>;
export type FileCreateReqInput = z.input<typeof FileCreateReqSchema>;

/** `file_create` response: the content digest (§1.4). */
export const FileCreateResSchema = z.object({ digest: z.string() });
export type FileCreateRes = z.infer<typeof FileCreateResSchema>;

/** `file_content_read` request (§7). */
export const FileContentReadReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  digest: z.string(),
});
export type FileContentReadReq = z.infer<typeof FileContentReadReqSchema>;

/** `file_content_read` response: the bytes (HTTP sends them raw as octet-stream, §7). */
export const FileContentReadResSchema = z.object({ content: BytesSchema });
export type FileContentReadRes = z.infer<typeof FileContentReadResSchema>;

/** `files_stats` request (HEAD, §7). */
export const FilesStatsReqSchema = z.strictObject({ project_id: ProjectIdSchema });
export type FilesStatsReq = z.infer<typeof FilesStatsReqSchema>;

/** `files_stats` response: total bytes of the project's files (§7). */
export const FilesStatsResSchema = z.object({ total_size_bytes: z.number().int() });
export type FilesStatsRes = z.infer<typeof FilesStatsResSchema>;
