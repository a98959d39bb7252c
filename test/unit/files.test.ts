/**
 * Files (weave-semantics.md §7, §1.4): digest, chunked storage, round trips of large content,
 * `expected_digest`, idempotence and stats (D-15, FI-01, FI-02, FI-04). Handlers are called directly
 * with requests parsed by the method table's schemas.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, test } from "vitest";
import { WeftError } from "../../src/errors";
import { METHODS } from "../../src/interface";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import { bytesDigest } from "../../src/server/digest";
import { FILE_CHUNK_BYTES, fileContentRead, fileCreate, filesStats } from "../../src/server/files/handlers";

const P = "shawn/test-project";
let dbCounter = 0;

function makeCtx(): ServerContext {
  dbCounter++;
  return { db: new WeftDb(`weft-files-${dbCounter}`, { indexedDB: new IDBFactory(), IDBKeyRange }), userId: "local", now: Date.now };
}

const create = (ctx: ServerContext, content: Uint8Array | ArrayBuffer, extra: { name?: string; expected_digest?: string; project_id?: string } = {}) =>
  fileCreate(ctx, METHODS.file_create.req.parse({ project_id: P, name: "my-file", content, ...extra }));
const read = async (ctx: ServerContext, digest: string, project_id = P): Promise<Uint8Array> =>
  (await fileContentRead(ctx, METHODS.file_content_read.req.parse({ project_id, digest }))).content;
const stats = (ctx: ServerContext, project_id = P) => filesStats(ctx, METHODS.files_stats.req.parse({ project_id }));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function expectWeftError(promise: Promise<unknown>, code: string, message: RegExp): Promise<WeftError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  expect((error as WeftError).message).toMatch(message);
  return error as WeftError;
}

/** Compares without handing vitest two 10 MB arrays to diff. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength), Buffer.from(expected))).toBe(0);
}

describe("file digest (§1.4)", () => {
  test("D-15 / FI-02 hello: digest, content, stats", async () => {
    const ctx = makeCtx();
    const { digest } = await create(ctx, text("hello"), { name: "hello.txt" });
    expect(digest).toBe("LPJNulXwow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
    expect(digest).toBe(bytesDigest(text("hello")));
    expect(new TextDecoder().decode(await read(ctx, digest))).toBe("hello");
    expect(await stats(ctx)).toEqual({ total_size_bytes: 5 });
    const row = await ctx.db.files.get([P, digest]);
    expect(row).toMatchObject({ name: "hello.txt", size_bytes: 5, n_chunks: 1 });
  });

  test("D-09 op source file digest", async () => {
    const source = 'import weave\n\n@weave.op\ndef say_hello(name: str):\n    return "hello " + name\n';
    expect((await create(makeCtx(), text(source), { name: "obj.py" })).digest).toBe("uArqT16jBFwMsG3X0XdoxTYXY2iTBX4OEYDQtWM6zME");
  });

  test("an ArrayBuffer and an empty file are accepted", async () => {
    const ctx = makeCtx();
    const buffer = new ArrayBuffer(3);
    new Uint8Array(buffer).set(text("abc"));
    const { digest } = await create(ctx, buffer);
    expect(new TextDecoder().decode(await read(ctx, digest))).toBe("abc");
    const empty = await create(ctx, new Uint8Array(0));
    expect(empty.digest).toBe(bytesDigest(new Uint8Array(0)));
    expect((await read(ctx, empty.digest)).byteLength).toBe(0);
    expect(await stats(ctx)).toEqual({ total_size_bytes: 3 });
  });
});

describe("large files", () => {
  test("FI-01 / FI-04 10,000,005 bytes round trip, stored in chunks; files_stats", async () => {
    const ctx = makeCtx();
    const content = new Uint8Array(10_000_005).fill("0".charCodeAt(0));
    const { digest } = await create(ctx, content);
    expect(digest).toBe(bytesDigest(content));
    expect(await ctx.db.file_chunks.count()).toBe(Math.ceil(10_000_005 / FILE_CHUNK_BYTES));
    expectSameBytes(await read(ctx, digest), content);
    expect(await stats(ctx)).toEqual({ total_size_bytes: 10_000_005 });
  }, 60_000);

  test("64 MiB of varied content round trips", async () => {
    const ctx = makeCtx();
    const content = new Uint8Array(64 * 1024 * 1024);
    // A pattern that differs per chunk, so a chunk written or read in the wrong place would show.
    for (let i = 0; i < content.length; i += 4096) content[i] = (i / 4096) % 251;
    content[content.length - 1] = 7;
    const { digest } = await create(ctx, content, { name: "big.bin" });
    expect(await ctx.db.file_chunks.count()).toBe(64);
    expectSameBytes(await read(ctx, digest), content);
  }, 120_000);
});

describe("identity and errors", () => {
  test("expected_digest mismatch is DIGEST_MISMATCH (409), nothing stored; a matching one is accepted", async () => {
    const ctx = makeCtx();
    const error = await expectWeftError(create(ctx, text("hello"), { expected_digest: "definitely_wrong_digest" }), "DIGEST_MISMATCH", /digest mismatch/i);
    expect(error.status).toBe(409);
    expect(await ctx.db.files.count()).toBe(0);
    expect(await ctx.db.file_chunks.count()).toBe(0);
    const ok = await create(ctx, text("hello"), { expected_digest: "LPJNulXwow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ" });
    expect(ok.digest).toBe("LPJNulXwow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
  });

  test("stored once per (project, digest): the first name is kept, stats count it once", async () => {
    const ctx = makeCtx();
    const content = new Uint8Array(FILE_CHUNK_BYTES + 10).fill(1);
    const a = await create(ctx, content, { name: "first" });
    const b = await create(ctx, content, { name: "second" });
    expect(b).toEqual(a);
    expect(await ctx.db.file_chunks.count()).toBe(2);
    expect((await ctx.db.files.get([P, a.digest]))?.name).toBe("first");
    expect(await stats(ctx)).toEqual({ total_size_bytes: FILE_CHUNK_BYTES + 10 });
  });

  test("files belong to a project: missing is NOT_FOUND (404), stats per project", async () => {
    const ctx = makeCtx();
    const { digest } = await create(ctx, text("hello"));
    await create(ctx, text("other project"), { project_id: "other/project" });
    const error = await expectWeftError(read(ctx, digest, "other/project"), "NOT_FOUND", new RegExp(`^File ${digest} not found$`));
    expect(error.status).toBe(404);
    await expectWeftError(read(ctx, "nope"), "NOT_FOUND", /^File nope not found$/);
    expect(await stats(ctx)).toEqual({ total_size_bytes: 5 });
    expect(await stats(ctx, "other/project")).toEqual({ total_size_bytes: 13 });
    expect(await stats(ctx, "empty/project")).toEqual({ total_size_bytes: 0 });
  });

  test("a view onto a larger buffer stores only its own bytes", async () => {
    const ctx = makeCtx();
    const whole = text("xxhelloyy");
    const { digest } = await create(ctx, whole.subarray(2, 7));
    expect(digest).toBe("LPJNulXwow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
    const chunk = await ctx.db.file_chunks.get([P, digest, 0]);
    expect(chunk?.bytes.buffer.byteLength).toBe(5);
  });
});
