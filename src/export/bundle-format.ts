/**
 * The bundle file: one gzip'd JSONL document holding a project, for moving it between browsers (or
 * backing it up) without a server. Line 1 is the header, the last line the trailer; in between one
 * record per file, table, object or op (in dependency order), call, feedback row and price:
 *
 * ```
 * {"type":"header","format":"weft-bundle","version":1,"project":"e/p","created_at":"…","counts":{…}}
 * {"type":"file","digest":"…","name":"obj.py","content":"<base64>"}
 * {"type":"table","digest":"…","rows":[{"digest":"…","val":{…}}, …]}
 * {"type":"object","kind":"op","object_id":"…","digest":"…","val":{…},"created_at":"…","version_index":0}
 * {"type":"call","call":{…CallSchema…}}
 * {"type":"feedback","feedback":{…feedback_query row…}}
 * {"type":"cost","cost":{…cost_query row…}}
 * {"type":"trailer","counts":{…},"sha256":"<hex of every byte before this line>"}
 * ```
 *
 * The trailer's checksum and counts make a truncated or edited file fail validation even when it
 * still decompresses; records keep the source's digests so refs can be remapped on import.
 */
import { z } from "zod";
import { CallSchemaSchema } from "../schema/calls";
import { ProjectIdSchema } from "../schema/common";
import { CostQueryOutputSchema } from "../schema/costs";
import type { ExportKind } from "./progress";

/** The `format` of a header. */
export const BUNDLE_FORMAT = "weft-bundle";
/** The version this weft writes and reads. */
export const BUNDLE_VERSION = 1;

const Count = z.number().int().nonnegative();

/** Records per kind. */
export const BundleCountsSchema = z.strictObject({
  files: Count,
  tables: Count,
  objects: Count,
  calls: Count,
  feedback: Count,
  costs: Count,
});
export type BundleCounts = z.infer<typeof BundleCountsSchema>;

/** The first line. */
export const BundleHeaderSchema = z.strictObject({
  type: z.literal("header"),
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  project: ProjectIdSchema,
  created_at: z.string(),
  counts: BundleCountsSchema,
});
export type BundleHeader = z.infer<typeof BundleHeaderSchema>;

/** The last line. */
export const BundleTrailerSchema = z.strictObject({
  type: z.literal("trailer"),
  counts: BundleCountsSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
});
export type BundleTrailer = z.infer<typeof BundleTrailerSchema>;

const JsonObject = z.record(z.string(), z.unknown());

/** Every record between header and trailer. */
export const BundleRecordSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("file"), digest: z.string().min(1), name: z.string(), content: z.base64() }),
  z.strictObject({ type: z.literal("table"), digest: z.string().min(1), rows: z.array(z.strictObject({ digest: z.string().min(1), val: JsonObject })) }),
  z.strictObject({
    type: z.literal("object"),
    kind: z.enum(["object", "op"]),
    object_id: z.string().min(1),
    digest: z.string().min(1),
    val: z.unknown(),
    created_at: z.string().nullable(),
    version_index: z.number().int().nonnegative().nullable(),
  }),
  z.strictObject({ type: z.literal("call"), call: CallSchemaSchema }),
  z.strictObject({
    type: z.literal("feedback"),
    feedback: z.looseObject({ id: z.string(), weave_ref: z.string(), feedback_type: z.string(), payload: JsonObject.nullish() }),
  }),
  z.strictObject({ type: z.literal("cost"), cost: CostQueryOutputSchema.extend({ id: z.string(), llm_id: z.string() }) }),
]);
export type BundleRecord = z.infer<typeof BundleRecordSchema>;

/** The count a record type adds to. */
export const COUNT_OF: Record<BundleRecord["type"], ExportKind> = {
  file: "files",
  table: "tables",
  object: "objects",
  call: "calls",
  feedback: "feedback",
  cost: "costs",
};

/**
 * All-zero counts.
 * @throws never
 */
export function zeroCounts(): BundleCounts {
  return { files: 0, tables: 0, objects: 0, calls: 0, feedback: 0, costs: 0 };
}

/**
 * Standard base64 of bytes, in slices (a spread of a large array would overflow the stack).
 * @throws never
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Bytes of standard base64 (already checked by the record schema).
 * @throws DOMException InvalidCharacterError for text that is not base64 (callers validate first)
 */
export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
