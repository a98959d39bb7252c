/**
 * Bundles in real Chromium: a project written through a real worker + `createClient` is exported as
 * a bundle (CompressionStream in the page), downloaded through an `<a download>` the way an app
 * offers it, and imported in a fresh profile (empty IndexedDB) under another project name; the
 * second profile then answers the same queries (refs resolved, project name and digests aside).
 * Then `exportProject` from the page over HTTP to a Weave-compatible server on another origin:
 * refused by CORS (the error says so and points at the proxy option), and through a CORS proxy.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../unit/export-fixture";
import { startHarness, type Harness } from "./harness";
import type { ExportPageGlobals } from "./pages/export-page";

type G = ExportPageGlobals;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const pageUrl = (db: string) => `/export-page.html?db=${db}-${Date.now()}`;

describe("bundle round trip between two browser profiles", () => {
  it("export in one profile, download, import in a fresh one: the same answers", async () => {
    const source = await h.newPage(pageUrl("export-src"));
    await source.evaluate(() => (globalThis as unknown as G).exportPage.seed("alice/notes", 20));
    const expected = await source.evaluate(() => (globalThis as unknown as G).exportPage.answers("alice/notes"));

    const [download, size] = await Promise.all([source.waitForEvent("download"), source.evaluate(() => (globalThis as unknown as G).exportPage.download("alice/notes"))]);
    expect(download.suggestedFilename()).toBe("project.weft.jsonl.gz");
    const bytes = await readFile((await download.path()) as string);
    expect(bytes.byteLength).toBe(size);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);

    const fresh = await h.newContext();
    const target = await h.newPage(pageUrl("export-dst"), fresh);
    expect(await target.evaluate(() => (globalThis as unknown as G).exportPage.answers("bob/copy"))).toEqual({ calls: [], objs: [], feedback: [], costs: [] });
    const b64 = bytes.toString("base64");
    const result = await target.evaluate(([data]) => (globalThis as unknown as G).exportPage.importBase64(data as string, "bob/copy"), [b64]);
    expect(result).toEqual({ ok: { fromProject: "alice/notes", project: "bob/copy", counts: { files: 1, tables: 1, objects: 2, calls: 20, feedback: 1, costs: 1 } } });
    const actual = await target.evaluate(() => (globalThis as unknown as G).exportPage.answers("bob/copy"));
    expect(actual).toEqual(expected);
    await fresh.close();
    await source.close();
  });

  it("a damaged bundle is refused in the page with VALIDATION and imports nothing", async () => {
    const source = await h.newPage(pageUrl("export-bad"));
    await source.evaluate(() => (globalThis as unknown as G).exportPage.seed("alice/bad", 4));
    const b64 = await source.evaluate(() => (globalThis as unknown as G).exportPage.bundleBase64("alice/bad"));
    const bytes = Buffer.from(b64, "base64");
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2)).toString("base64");
    const result = await source.evaluate(([data]) => (globalThis as unknown as G).exportPage.importBase64(data as string, "alice/other"), [cut]);
    expect(result).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("Not a valid weft bundle") });
    expect(await source.evaluate(() => (globalThis as unknown as G).exportPage.answers("alice/other"))).toEqual({ calls: [], objs: [], feedback: [], costs: [] });
    await source.close();
  });
});

/**
 * The README's proxy recipe: a tiny `node:http` server in front of a Weave server that answers the
 * CORS preflight and forwards everything else (Authorization included) with `fetch`.
 */
async function startCorsProxy(upstream: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const cors = {
      "access-control-allow-origin": req.headers.origin ?? "*",
      "access-control-allow-headers": "authorization, content-type, accept",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-max-age": "86400",
    };
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "accept"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const answer = await fetch(`${upstream}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, ...(req.method === "GET" ? {} : { body: Buffer.concat(chunks) }) });
    res.writeHead(answer.status, { ...cors, "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe("exportProject from the page to a server on another origin", () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it("a server without CORS headers: UPSTREAM that mentions CORS and the proxy option", async () => {
    const page = await h.newPage(pageUrl("export-cors"));
    await page.evaluate(() => (globalThis as unknown as G).exportPage.seed("alice/cors", 4));
    const result = await page.evaluate(([url]) => (globalThis as unknown as G).exportPage.exportTo(url as string, "alice/cors", "team/cors"), [receiver.url]);
    expect(result).toMatchObject({ code: "UPSTREAM" });
    const message = (result as { message: string }).message;
    expect(message).toContain(`Could not reach the Weave server at ${receiver.url}`);
    expect(message).toContain("CORS");
    expect(message).toContain("proxy");
    expect(receiver.seen.filter((s) => s.path === "/call/upsert_batch")).toEqual([]);
    await page.close();
  });

  it("through the README's proxy: the export goes through and the server has the project", async () => {
    const proxy = await startCorsProxy(receiver.url);
    const page = await h.newPage(pageUrl("export-proxy"));
    await page.evaluate(() => (globalThis as unknown as G).exportPage.seed("alice/proxied", 8));
    const result = await page.evaluate(([url]) => (globalThis as unknown as G).exportPage.exportTo(url as string, "alice/proxied", "team/proxied"), [proxy.url]);
    expect(result).toMatchObject({ ok: { sent: { files: 1, tables: 1, objects: 2, calls: 8, feedback: 1, costs: 1 } } });
    expect((await receiver.store.calls_query_stats({ project_id: "team/proxied" })).count).toBe(8);
    // Run again: the state in the page's IndexedDB makes it a no-op.
    const before = receiver.seen.length;
    const again = await page.evaluate(([url]) => (globalThis as unknown as G).exportPage.exportTo(url as string, "alice/proxied", "team/proxied"), [proxy.url]);
    expect(again).toMatchObject({ ok: { sent: { calls: 0 }, skipped: { calls: 8 } } });
    expect(receiver.seen.length).toBe(before);
    await page.close();
    await proxy.close();
  });
});
