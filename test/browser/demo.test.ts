/**
 * The demo page as a user sees it, in real Chromium with the real Worker, served the way
 * `npm run demo` serves it (`demo-server.ts`). Each flow ends in an assertion on what the page shows
 * and a screenshot, `test-results/demo-<flow>.png`. The tests share one profile and run in order:
 * later ones use the traces earlier ones made.
 */
import { mkdir, readFile, readdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemo, type Demo } from "./demo-server";
import { startWeaveServer } from "./demo-weave-server";
import { REPO_ROOT } from "./harness";

const RESULTS = join(REPO_ROOT, "test-results");

let demo: Demo;
let context: BrowserContext;

beforeAll(async () => {
  await mkdir(RESULTS, { recursive: true });
  demo = await startDemo();
  context = await demo.newContext();
});

afterAll(async () => {
  await demo?.close();
});

/** `expect.poll` with a timeout that suits a page doing real IndexedDB work on a busy machine. */
function poll<T>(fn: () => Promise<T> | T, timeout = 15_000) {
  return expect.poll(fn, { timeout, interval: 100 });
}

async function shot(page: Page, flow: string): Promise<void> {
  await page.screenshot({ path: join(RESULTS, `demo-${flow}.png`) });
}

/** Asks the assistant and waits for its answer; returns the answer's text. */
async function ask(page: Page, question: string): Promise<string> {
  await page.getByTestId("question").fill(question);
  await page.getByTestId("ask").click();
  const answer = page.getByTestId("answer");
  await answer.filter({ hasText: question }).waitFor();
  return (await answer.textContent()) ?? "";
}

/** The table's visible rows: name and status of each. */
async function rows(page: Page): Promise<Array<{ name: string; status: string; latency: string }>> {
  return page.locator(".ct-row[data-call-id]").evaluateAll((els) =>
    els
      .map((el) => ({
        top: (el as HTMLElement).getBoundingClientRect().top,
        name: el.querySelector(".c-name")?.textContent ?? "",
        status: el.querySelector("[data-status]")?.getAttribute("data-status") ?? "",
        latency: el.querySelector(".c-latency")?.textContent ?? "",
      }))
      .sort((a, b) => a.top - b.top)
      .map(({ name, status, latency }) => ({ name, status, latency })),
  );
}

async function countText(page: Page): Promise<string> {
  return (await page.getByTestId("call-count").textContent()) ?? "";
}

/** The export dialog's bar: finished, full (value 100 of 100), with `text` beside it. */
async function expectFullBar(page: Page, text: string): Promise<void> {
  const bar = page.getByTestId("export-dialog").getByTestId("export-progress");
  await poll(() => bar.getAttribute("data-state")).toBe("done");
  const progress = bar.getByRole("progressbar", { name: "Export progress" });
  expect(await progress.evaluate((el) => [(el as HTMLProgressElement).value, (el as HTMLProgressElement).max])).toEqual([100, 100]);
  expect(await bar.getByTestId("export-progress-text").textContent()).toBe(text);
}

/** "1.23 s" / "456 ms" → milliseconds. */
function parseLatency(text: string): number {
  const m = /^([\d.]+) (ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

describe("demo page", () => {
  it("is served with a Content-Security-Policy that forbids inline script", async () => {
    const res = await fetch(demo.url);
    const csp = res.headers.get("content-security-policy") ?? "";
    const scriptSrc = csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src")) ?? "";
    expect(scriptSrc).toBe("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    const page = await demo.open(context);
    const blocked = await page.evaluate(
      () =>
        new Promise<{ ran: unknown; directive: string }>((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) => resolve({ ran: (window as { __inline?: unknown }).__inline, directive: e.effectiveDirective }), { once: true });
          const s = document.createElement("script");
          s.textContent = "window.__inline = 1";
          document.head.append(s);
        }),
    );
    expect(blocked).toEqual({ ran: undefined, directive: "script-src-elem" });
    await poll(() => page.locator(".topbar").textContent()).toContain("weft");
    await shot(page, "csp");
    await page.close();
  });

  it("runs the assistant and shows its trace in the table", async () => {
    const page = await demo.open(context);
    const answer = await ask(page, "Where is my order KS-10231?");
    expect(answer).toContain("Order KS-10231 (Kestrel Pen (graphite), placed 2025-05-02) has shipped via UPS");
    await poll(async () => (await rows(page))[0]).toEqual({ name: "Where is my order KS-10231?", status: "success", latency: expect.stringMatching(/ms|s$/) });
    expect(await countText(page)).toBe("1 trace");
    await shot(page, "run");
    await page.close();
  });

  it("opens the call tree with its waterfall, and a call in it", async () => {
    const page = await demo.open(context);
    const answer = await ask(page, "Where is order KS-99999?");
    expect(answer).toContain("I could not complete that: Order KS-99999 not found.");
    await page.getByTestId("open-trace").click();
    const tree = page.getByTestId("trace-view");
    await poll(() => tree.locator(".tv-label").allTextContents()).toEqual(["Where is order KS-99999?", "retrieve", "lookup_order_status", "chat_completion"]);
    expect(await tree.locator(".tv-bar").count()).toBe(4);
    await poll(() => page.getByTestId("call-detail").locator("[data-status]").first().getAttribute("data-status")).toBe("descendant_error");

    await tree.locator(".tv-row", { hasText: "lookup_order_status" }).click();
    const detail = page.getByTestId("call-detail");
    await poll(() => detail.getByTestId("exception").textContent()).toContain("Order KS-99999 not found.");
    expect(await detail.locator("[data-status]").first().getAttribute("data-status")).toBe("error");
    expect(await detail.getByTestId("inputs").textContent()).toContain("order_id: KS-99999");
    expect(page.url()).toContain("trace=");
    await shot(page, "trace");
    await page.close();
  });

  it("filters by status and by text, and restores the filters from the URL", async () => {
    const page = await demo.open(context);
    await ask(page, "Does the zebracorn plan include unicorn stickers?");
    await page.getByTestId("sample-size").selectOption("100");
    await page.getByTestId("generate").click();
    await poll(() => page.getByTestId("sample-result").textContent(), 30_000).toMatch(/^Wrote 100 traces/);
    await poll(() => countText(page)).toBe("103 traces");

    await page.getByTestId("status-filter").selectOption("error");
    await poll(() => page.url()).toContain("status=error");
    await poll(async () => (await rows(page)).length).toBeGreaterThan(0);
    const errorRows = await rows(page);
    expect(new Set(errorRows.map((r) => r.status))).toEqual(new Set(["error"]));
    expect(Number((await countText(page)).split(" ")[0])).toBe(errorRows.length);
    await shot(page, "filter-status");

    await page.getByTestId("status-filter").selectOption("");
    await page.getByLabel("Search inputs and outputs").fill("ZEBRACORN");
    await page.getByLabel("Search inputs and outputs").press("Enter");
    await poll(() => countText(page)).toBe("1 trace");
    expect((await rows(page)).map((r) => r.name)).toEqual(["Does the zebracorn plan include unicorn stickers?"]);
    expect(new URL(page.url()).searchParams.get("q")).toBe("ZEBRACORN");

    await page.reload();
    await poll(() => countText(page)).toBe("1 trace");
    expect(await page.getByLabel("Search inputs and outputs").inputValue()).toBe("ZEBRACORN");
    await shot(page, "filter-text");
    await page.close();
  });

  it("sorts by latency when the column header is clicked", async () => {
    const page = await demo.open(context);
    await poll(async () => (await rows(page)).length).toBeGreaterThan(15);
    await page.locator("[data-column=latency]").click();
    await poll(() => new URL(page.url()).searchParams.get("sort")).toBe("summary.weave.latency_ms:desc");
    await poll(() => page.locator("[data-column=latency]").getAttribute("aria-sort")).toBe("descending");
    await poll(async () => {
      const ms = (await rows(page)).slice(0, 15).map((r) => parseLatency(r.latency));
      return ms.every((v, i) => i === 0 || v <= (ms[i - 1] ?? 0)) && ms.length === 15;
    }).toBe(true);
    await page.locator("[data-column=latency]").click();
    await poll(() => new URL(page.url()).searchParams.get("sort")).toBe("summary.weave.latency_ms:asc");
    await poll(async () => {
      const ms = (await rows(page)).slice(0, 15).map((r) => parseLatency(r.latency));
      return ms.every((v, i) => i === 0 || v >= (ms[i - 1] ?? 0)) && ms.length === 15;
    }).toBe(true);
    await shot(page, "sort");
    await page.close();
  });

  it("keeps a note on a call across a reload", async () => {
    const page = await demo.open(context, "?q=KS-10231");
    await page.locator(".ct-row[data-call-id]").first().click();
    const detail = page.getByTestId("call-detail");
    await detail.waitFor();
    await detail.getByLabel("Note").fill("Helpful: named the carrier and the date.");
    await detail.getByRole("button", { name: "Add note" }).click();
    await poll(() => detail.getByTestId("note").allTextContents()).toEqual([expect.stringContaining("Helpful: named the carrier and the date.")]);

    await page.reload();
    const again = page.getByTestId("call-detail");
    await poll(() => again.getByTestId("note").allTextContents()).toEqual([expect.stringContaining("Helpful: named the carrier and the date.")]);
    // The table's feedback column shows it too (include_feedback).
    await poll(() => page.locator(".ct-row[data-call-id] .c-feedback").first().textContent()).toBe("✎ 1");
    await shot(page, "note");
    await page.close();
  });

  it("keeps a reaction on a call across a reload", async () => {
    const page = await demo.open(context, "?q=KS-10231");
    await page.locator(".ct-row[data-call-id]").first().click();
    const detail = page.getByTestId("call-detail");
    await detail.waitFor();
    await detail.locator("[data-emoji='👍']").click();
    await poll(() => detail.locator("[data-emoji='👍']").getAttribute("aria-pressed")).toBe("true");

    await page.reload();
    const again = page.getByTestId("call-detail");
    await poll(() => again.locator("[data-emoji='👍']").getAttribute("aria-pressed")).toBe("true");
    expect(await again.locator("[data-emoji='👍'] .count").textContent()).toBe("1");
    await poll(() => page.locator(".ct-row[data-call-id] .c-feedback").first().textContent()).toBe("👍✎ 1");
    await shot(page, "reaction");
    await page.close();
  });

  it("opens an object version from a ref in a call's inputs, and a dataset's rows", async () => {
    const page = await demo.open(context, "?q=KS-10231");
    await page.locator(".ct-row[data-call-id]").first().click();
    await page.getByTestId("inputs").locator("button.ref").first().click();
    const objectDetail = page.getByTestId("object-detail");
    await poll(() => objectDetail.locator("h2").textContent()).toBe("assistant-config");
    expect(new URL(page.url()).searchParams.get("tab")).toBe("objects");
    await poll(() => objectDetail.textContent()).toContain("model: kestrel-sim-1");
    expect(await objectDetail.getByTestId("versions").locator(".list-item").allTextContents()).toEqual([expect.stringMatching(/^v0 \(latest\)/)]);

    await page.locator("[data-object-id=kestrel-help-centre]").click();
    await page.getByRole("button", { name: "Show dataset rows" }).click();
    const table = page.getByTestId("table-view");
    await poll(() => table.locator("tbody tr").count()).toBe(8);
    expect(await table.locator("tbody tr").first().textContent()).toContain("Getting started with Kestrel");
    await shot(page, "object");
    await page.close();
  });

  it("has no code path that turns data into HTML or links", async () => {
    const dir = join(REPO_ROOT, "demo/src");
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      if (/\.innerHTML\b|\.outerHTML\s*=|dangerouslySetInnerHTML\s*:|insertAdjacentHTML|document\.write|\bhref\s*:/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it("renders hostile inputs and outputs as inert text and stays usable", async () => {
    const page = await demo.open(context);
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const id = await page.evaluate(async () => {
      const demoGlobal = (globalThis as unknown as { weftDemo: { client: { call_start_batch(req: unknown): Promise<unknown> }; projectId: string } }).weftDemo;
      const callId = "hostile-0001";
      const now = new Date().toISOString();
      await demoGlobal.client.call_start_batch({
        batch: [
          {
            mode: "start",
            req: {
              start: {
                project_id: demoGlobal.projectId,
                id: callId,
                trace_id: "hostile-trace",
                op_name: "kestrel_assistant",
                display_name: '<img src=x onerror="window.__xss=1">',
                started_at: now,
                attributes: { note: "<svg onload=window.__xss=2>" },
                inputs: { question: '<img src=x onerror="window.__xss=3">', link: "javascript:window.__xss=4", big: "A".repeat(1_000_000) },
              },
            },
          },
          {
            mode: "end",
            req: {
              end: {
                project_id: demoGlobal.projectId,
                id: callId,
                ended_at: now,
                output: { html: "<script>window.__xss=5</script>", fake_ref: "weave:///demo/assistant/object/evil:javascript:alert(1)", big: "B".repeat(1_000_000) },
                summary: {},
              },
            },
          },
        ],
      });
      return callId;
    });
    await page.goto(`${demo.url}?trace=hostile-trace&call=${id}`);
    const detail = page.getByTestId("call-detail");
    await detail.waitFor();
    await poll(() => detail.getByTestId("inputs").getByText('<img src=x onerror="window.__xss=3">').count()).toBe(1);
    expect(await detail.getByTestId("inputs").getByText("javascript:window.__xss=4").count()).toBe(1);
    expect(await detail.getByTestId("output").getByText("<script>window.__xss=5</script>").count()).toBe(1);
    expect(await page.locator(".ct-row[data-call-id=hostile-0001] .c-name").textContent()).toBe('<img src=x onerror="window.__xss=1">');
    expect(await page.locator("main img, main svg:not(.uplot svg), main script, a[href^='javascript:']").count()).toBe(0);
    // The 1 MB strings are cut to a preview that can be expanded on request.
    const more = detail.getByTestId("inputs").getByRole("button", { name: /^show more \(976\.6 KB, 1,000,000 characters\)$/ });
    await more.click();
    await poll(() => detail.getByTestId("inputs").locator(".j-str").evaluateAll((els) => Math.max(...els.map((e) => e.textContent?.length ?? 0)))).toBeGreaterThan(20_000);
    // The fake ref is a link handled in-app: it opens the objects tab and reports the object missing.
    await detail.getByTestId("output").locator("button.ref").click();
    await poll(() => page.getByTestId("object-detail").locator(".error-text").textContent()).toContain("NOT_FOUND");

    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
    // Still usable: back to the traces, the table answers.
    await page.getByRole("tab", { name: "Traces" }).click();
    await poll(async () => (await rows(page)).length).toBeGreaterThan(10);
    await shot(page, "hostile");
    await page.close();
  });

  it("shows calls made in one tab live in another tab", async () => {
    const viewer = await demo.open(context, "?q=live%20update");
    await poll(() => countText(viewer)).toBe("0 traces");
    const app = await demo.open(context);
    await ask(app, "Can the live update reach the other tab?");
    await poll(() => countText(viewer)).toBe("1 trace");
    expect((await rows(viewer)).map((r) => r.name)).toEqual(["Can the live update reach the other tab?"]);
    await shot(viewer, "live");
    await app.close();
    await viewer.close();
  });

  it("answers through an OpenAI-compatible endpoint via completions_create, keeping the key out of traces", async () => {
    const seen: Array<{ auth: string | undefined; model: string }> = [];
    const llm: Server = createServer((req, res) => {
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.setHeader("Access-Control-Allow-Headers", "authorization, content-type");
      if (req.method === "OPTIONS") {
        res.writeHead(204).end();
        return;
      }
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        seen.push({ auth: req.headers.authorization, model: (JSON.parse(body) as { model: string }).model });
        res.writeHead(200, { "Content-Type": "application/json" }).end(
          JSON.stringify({
            id: "chatcmpl-local",
            object: "chat.completion",
            created: 1,
            model: "local-model",
            choices: [{ index: 0, message: { role: "assistant", content: "Kestrel works offline; changes sync later." }, finish_reason: "stop" }],
            usage: { prompt_tokens: 120, completion_tokens: 9, total_tokens: 129 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => llm.listen(0, "127.0.0.1", resolve));
    const port = (llm.address() as AddressInfo).port;
    const page = await demo.open(context);
    try {
      await page.getByRole("button", { name: "Model settings" }).click();
      const settings = page.getByTestId("settings-dialog");
      await settings.getByText("OpenAI-compatible endpoint").click();
      await settings.getByLabel("Base URL", { exact: true }).fill(`http://127.0.0.1:${port}/v1`);
      await settings.getByLabel("Model", { exact: true }).fill("local-model");
      await settings.getByLabel(/^API key/).fill("sk-demo-secret-123");
      await settings.getByRole("button", { name: "Save" }).click();

      const answer = await ask(page, "Does it work offline with an endpoint?");
      expect(answer).toContain("Kestrel works offline; changes sync later.");
      expect(seen).toEqual([{ auth: "Bearer sk-demo-secret-123", model: "local-model" }]);
      await page.getByTestId("open-trace").click();
      const tree = page.getByTestId("trace-view");
      await poll(() => tree.locator(".tv-label").allTextContents()).toEqual([
        "Does it work offline with an endpoint?",
        "retrieve",
        "chat_completion",
        "weave.completions_create",
      ]);
      const leaks = await page.evaluate(async () => {
        const g = (globalThis as unknown as { weftDemo: { client: { calls_query_stats(req: unknown): Promise<{ count: number }> }; projectId: string } }).weftDemo;
        const has = (path: string) => ({ $contains: { input: { $getField: path }, substr: { $literal: "sk-demo-secret" } } });
        return (await g.client.calls_query_stats({ project_id: g.projectId, query: { $expr: { $or: [has("inputs"), has("output"), has("attributes")] } } })).count;
      });
      expect(leaks).toBe(0);
      await shot(page, "endpoint");
    } finally {
      // Back to the built-in model for the tests after this one.
      await page.evaluate(() => localStorage.removeItem("weft-demo-model"));
      await page.close();
      llm.closeAllConnections();
      await new Promise((resolve) => llm.close(resolve));
    }
  });

  it("exports the project to a Weave server, and a second run sends only what is new", async () => {
    const target = await startWeaveServer();
    const page = await demo.open(context);
    try {
      const local = await page.evaluate(async () => {
        const g = (globalThis as unknown as { weftDemo: { client: { calls_query_stats(req: unknown): Promise<{ count: number }> }; projectId: string } }).weftDemo;
        return (await g.client.calls_query_stats({ project_id: g.projectId })).count;
      });
      await page.getByTestId("open-export").click();
      const dialog = page.getByTestId("export-dialog");
      await dialog.getByLabel("Server URL").fill(target.url);
      await dialog.getByLabel("API key").fill("demo-key");
      await dialog.getByLabel("Remote project (entity/project)").fill("team/assistant-copy");
      await dialog.getByRole("button", { name: "Start export" }).click();
      await poll(() => dialog.getByTestId("send-result").textContent(), 60_000).toMatch(new RegExp(`^Exported to ${target.url} as team/assistant-copy: .*\\b${local} calls sent`));
      expect((await target.store.calls_query_stats({ project_id: "team/assistant-copy" })).count).toBe(local);
      expect(new Set(target.authorizations)).toEqual(new Set([`Basic ${Buffer.from("api:demo-key").toString("base64")}`]));
      // A few hundred calls go in a blink: the bar stays, full, with what was done.
      await expectFullBar(page, `100% · ${local} calls exported`);
      await shot(page, "export");

      await dialog.getByRole("button", { name: "Start export" }).click();
      await poll(() => dialog.getByTestId("send-result").textContent(), 60_000).toContain(`0 calls sent (${local} already there)`);
      await expectFullBar(page, `100% · ${local} calls exported`);
      expect((await target.store.calls_query_stats({ project_id: "team/assistant-copy" })).count).toBe(local);
    } finally {
      await page.close();
      await target.close();
    }
  });

  it("cancels an export midway, says how far it got, and resumes it to 100% with every call sent once", async () => {
    // The receiver holds the second batch of calls until the test lets it go: the export is
    // cancelled while that request is in flight, after the first batch was stored.
    let callBatches = 0;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = (): void => undefined;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    const target = await startWeaveServer({
      async beforeRequest(_method, path) {
        if (path !== "/call/upsert_batch" || ++callBatches !== 2) return;
        holding();
        await held;
      },
    });
    const remote = "team/resume-copy";
    const page = await demo.open(context);
    try {
      // Enough calls for several batches of at most 500 items (250 calls).
      const local = await page.evaluate(async () => {
        const g = (globalThis as unknown as { weftDemo: { generateSample(n: number, seed?: number): Promise<unknown>; client: { calls_query_stats(req: unknown): Promise<{ count: number }> }; projectId: string } }).weftDemo;
        await g.generateSample(150, 7);
        return (await g.client.calls_query_stats({ project_id: g.projectId })).count;
      });
      expect(local).toBeGreaterThan(750);

      await page.getByTestId("open-export").click();
      const dialog = page.getByTestId("export-dialog");
      await dialog.getByLabel("Server URL").fill(target.url);
      await dialog.getByLabel("API key").fill("demo-key");
      await dialog.getByLabel("Remote project (entity/project)").fill(remote);
      await dialog.getByRole("button", { name: "Start export" }).click();
      await isHolding;
      const text = dialog.getByTestId("export-progress-text");
      await poll(() => text.textContent()).toMatch(/^\d+% · Sending calls \(\d+\/\d+\) · /);
      expect(await dialog.getByRole("button", { name: "Resume" }).isDisabled()).toBe(true);
      await dialog.getByRole("button", { name: "Cancel" }).click();

      await poll(() => dialog.getByTestId("send-result").textContent()).toBe("Cancelled. What was sent is remembered: Resume sends the rest.");
      expect(await dialog.getByTestId("export-progress").getAttribute("data-state")).toBe("cancelled");
      const cancelled = /^Cancelled at (\d+)% · ([\d,]+) of ([\d,]+) calls exported$/.exec((await text.textContent()) ?? "");
      expect(cancelled).not.toBeNull();
      const [pct, sent, planned] = (cancelled ?? []).slice(1).map((v) => Number(v.replace(/,/g, "")));
      expect(planned).toBe(local);
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThan(local);
      expect(pct).toBeGreaterThan(0);
      expect(pct).toBeLessThan(100);
      expect(await dialog.locator("progress").evaluate((el) => (el as HTMLProgressElement).value)).toBe(pct);
      await shot(page, "export-cancelled");

      // The cancelled request reaches the store after all (the server had it): the resumed run
      // sends that batch again, which must not make a second copy of any call.
      release();
      await dialog.getByRole("button", { name: "Resume" }).click();
      await poll(() => dialog.getByTestId("send-result").textContent(), 60_000).toContain(`${local - (sent ?? 0)} calls sent (${sent} already there)`);
      await expectFullBar(page, `100% · ${local} calls exported`);
      await shot(page, "export-resumed");

      const ids = (calls: Array<{ id: string }>): string[] => calls.map((c) => c.id).sort();
      const there = ids((await target.store.calls_query({ project_id: remote, columns: ["id"], limit: 100_000 })).calls);
      const here = ids(
        await page.evaluate(async () => {
          const g = (globalThis as unknown as { weftDemo: { client: { calls_query(req: unknown): Promise<{ calls: Array<{ id: string }> }> }; projectId: string } }).weftDemo;
          return (await g.client.calls_query({ project_id: g.projectId, columns: ["id"], limit: 100_000 })).calls;
        }),
      );
      expect(there.length).toBe(local);
      expect(new Set(there).size).toBe(local);
      expect(there).toEqual(here);
    } finally {
      release();
      await page.close();
      await target.close();
    }
  });

  it("downloads a bundle and imports it into an empty profile by drag and drop", async () => {
    const page = await demo.open(context);
    const count = async (p: Page): Promise<number> =>
      p.evaluate(async () => {
        const g = (globalThis as unknown as { weftDemo: { client: { calls_query_stats(req: unknown): Promise<{ count: number }> }; projectId: string } }).weftDemo;
        return (await g.client.calls_query_stats({ project_id: g.projectId })).count;
      });
    const local = await count(page);
    await page.getByTestId("open-export").click();
    const downloading = page.waitForEvent("download");
    await page.getByTestId("download-bundle").click();
    const download = await downloading;
    const path = join(RESULTS, "demo-bundle.weft.jsonl.gz");
    await download.saveAs(path);
    expect(download.suggestedFilename()).toBe("demo-assistant.weft.jsonl.gz");
    await page.close();

    const fresh = await demo.newContext();
    try {
      const other = await demo.open(fresh);
      expect(await count(other)).toBe(0);
      await other.getByTestId("open-export").click();
      const bytes = (await readFile(path)).toString("base64");
      const dataTransfer = await other.evaluateHandle((b64) => {
        const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([raw], "demo-assistant.weft.jsonl.gz", { type: "application/gzip" }));
        return transfer;
      }, bytes);
      await other.getByTestId("drop-zone").dispatchEvent("drop", { dataTransfer });
      const dialog = other.getByTestId("export-dialog");
      await poll(() => dialog.getByTestId("import-result").textContent(), 60_000).toContain(`Imported demo-assistant.weft.jsonl.gz from demo/assistant: `);
      expect(await dialog.getByTestId("import-result").textContent()).toContain(`${local} calls`);
      expect(await count(other)).toBe(local);
      await dialog.getByRole("button", { name: "Close" }).click();
      await poll(() => countText(other)).toMatch(/^\d{3} traces$/);
      await shot(other, "import");
    } finally {
      await fresh.close();
    }
  });
});
