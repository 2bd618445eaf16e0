import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { queueCrawledPage } from "../src/knowledge/documents";
import { call, createAssistant, signUp } from "./helpers";
import { indexedChunkIds } from "./knowledge-index-helpers";

/**
 * Web pages as knowledge: one `{url}`, or a bounded same-site crawl from a start page or a
 * sitemap, against the fake help-center site of fake-site-server.ts. Each test crawls its own
 * copy of the site under a scenario prefix, so tests can change pages without clashing.
 */

interface Doc {
  id: string;
  title: string;
  source_type: string;
  source_url: string | null;
  status: string;
  error: string | null;
  chunk_count: number;
  content_hash: string | null;
  updated_at: string;
}

let scenarios = 0;
/** A fresh copy of the fake site: its base URL (with a trailing slash) and helpers scoped to it. */
function freshSite(name: string) {
  scenarios += 1;
  const prefix = `/${name}-${scenarios}-${Math.random().toString(36).slice(2, 8)}`;
  const base = `${env.SITE_URL}${prefix}`;
  const log = async () => (await (await fetch(`${env.SITE_URL}/__log?prefix=${encodeURIComponent(`${prefix}/`)}`)).json()) as { path: string; user_agent: string }[];
  return {
    url: (path: string) => `${base}${path}`,
    /** The path of a page of this copy, or the whole URL for any other site. */
    pathOf: (url: string | null) => (url?.startsWith(base) ? url.slice(base.length) : String(url)),
    /** Paths of this copy the site has served, in order (the shared /robots.txt is not one of them). */
    async served(): Promise<string[]> {
      return (await log()).map((s) => s.path.slice(prefix.length));
    },
    /** The distinct user agents that fetched pages of this copy. */
    async userAgents(): Promise<string[]> {
      return [...new Set((await log()).map((s) => s.user_agent))];
    },
    /** Replaces a page of this copy with new HTML. */
    async setPage(path: string, html: string): Promise<void> {
      const res = await fetch(`${env.SITE_URL}/__set?path=${encodeURIComponent(`${prefix}${path}`)}`, { method: "POST", body: html });
      expect(res.status).toBe(204);
    },
  };
}

async function setup() {
  const s = await signUp("Crawl");
  const assistant = await createAssistant(s.access_token);
  return { s, assistant, token: s.access_token as string };
}

const addUrl = (token: string, assistantId: string, body: { url: string; crawl?: { max_pages?: number; max_depth?: number } }) =>
  call("POST", `/api/v1/assistants/${assistantId}/documents`, { token, body });

async function documents(token: string, assistantId: string): Promise<Doc[]> {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/documents?limit=100`, { token });
  expect(res.status).toBe(200);
  return res.body.data;
}

const SETTLED = new Set(["ready", "failed"]);

/** Polls a document until it leaves queued/processing (the queue consumer runs in the background). */
async function settled(token: string, id: string, timeoutMs = 20_000): Promise<Doc> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call("GET", `/api/v1/documents/${id}`, { token });
    if (res.status !== 200) throw new Error(`document ${id}: ${res.status}`);
    if (SETTLED.has(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${res.body.status}: ${res.body.error}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Polls an assistant's documents until the crawl is over: every document ready or failed (a page
 * queues the pages it links to before it is itself ready, so nothing is left to add) and `done`
 * holds for the list.
 */
async function crawlSettled(token: string, assistantId: string, done: (docs: Doc[]) => boolean = () => true, timeoutMs = 25_000): Promise<Doc[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const docs = await documents(token, assistantId);
    if (docs.length > 0 && docs.every((d) => SETTLED.has(d.status)) && done(docs)) return docs;
    if (Date.now() > deadline) throw new Error(`crawl not settled: ${JSON.stringify(docs.map((d) => [d.source_url, d.status, d.error]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const keywordSearch = (token: string, assistantId: string, q: string) =>
  call("GET", `/api/v1/assistants/${assistantId}/search?q=${encodeURIComponent(q)}&mode=keyword`, { token });


/** The pages one level below the home page that a crawl may follow. */
const LINKED_PAGES = ["/help/hours", "/help/shipping", "/help/returns", "/help/contact", "/guide.pdf"];

describe("knowledge from a single web page", () => {
  it("turns a page into a ready document titled like the page, with searchable text and no links followed", async () => {
    const site = freshSite("single");
    const { assistant, token } = await setup();
    const created = await addUrl(token, assistant.id, { url: site.url("/help/hours") });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^doc_/), status: "queued", duplicate: false });

    const doc = await settled(token, created.body.id);
    expect(doc).toMatchObject({ status: "ready", source_type: "url", source_url: site.url("/help/hours"), title: "Opening hours", error: null });
    expect(doc.chunk_count).toBeGreaterThan(0);
    const hits = await keywordSearch(token, assistant.id, "Monday Friday");
    expect(hits.body.data[0]).toMatchObject({ document_id: doc.id, title: "Opening hours" });
    expect(hits.body.data[0].content).toMatch(/nine to five/);

    // Without `crawl` the page's links are not followed.
    expect((await documents(token, assistant.id)).map((d) => d.id)).toEqual([doc.id]);
    expect(await site.served()).toEqual(["/help/hours"]);

    // The same page under a #fragment is the same document, not a second copy.
    const again = await addUrl(token, assistant.id, { url: site.url("/help/hours#weekend") });
    expect(again.body.id).toBe(doc.id);
    await settled(token, doc.id);
    expect(await documents(token, assistant.id)).toHaveLength(1);
  });

  it("reads a PDF served by a site", async () => {
    const site = freshSite("pdf");
    const { assistant, token } = await setup();
    const created = await addUrl(token, assistant.id, { url: site.url("/guide.pdf") });
    const doc = await settled(token, created.body.id);
    expect(doc).toMatchObject({ status: "ready", source_type: "url", title: "Assembly Guide" });
    const hits = await keywordSearch(token, assistant.id, "handlebar stem");
    expect(hits.body.data[0]).toMatchObject({ document_id: doc.id });
  });

  it("fails a missing page with a readable reason", async () => {
    const site = freshSite("missing");
    const { assistant, token } = await setup();
    const created = await addUrl(token, assistant.id, { url: site.url("/help/does-not-exist") });
    const doc = await settled(token, created.body.id);
    expect(doc.status).toBe("failed");
    expect(doc.error).toBe(`${site.url("/help/does-not-exist")} was not found (HTTP 404)`);
  });

  it("refuses a page the site's robots.txt disallows without fetching it", async () => {
    const site = freshSite("robots");
    const { assistant, token } = await setup();
    const created = await addUrl(token, assistant.id, { url: site.url("/private/staff-notes") });
    const doc = await settled(token, created.body.id);
    expect(doc.status).toBe("failed");
    expect(doc.error).toMatch(/disallowed for crawlers by the site's robots\.txt/);
    expect(await site.served()).toEqual([]);
  });

  it("retries a page whose server fails, keeping the reason on the document", async () => {
    const site = freshSite("broken");
    const { assistant, token } = await setup();
    const created = await addUrl(token, assistant.id, { url: site.url("/broken") });
    const deadline = Date.now() + 15_000;
    let doc: Doc;
    for (;;) {
      doc = (await call("GET", `/api/v1/documents/${created.body.id}`, { token })).body;
      if (doc.error || SETTLED.has(doc.status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    // Queued again for a later attempt (the backoff starts at 10 s; the test does not wait for it).
    expect(doc).toMatchObject({ status: "queued", error: `retrying: ${site.url("/broken")} answered HTTP 500` });
    expect(await site.served()).toEqual(["/broken"]);
  });
});

describe("knowledge from a same-site crawl", () => {
  it("follows same-site links to max_depth, and skips robots-disallowed, nofollow and external links", async () => {
    const site = freshSite("depth");
    const { assistant, token } = await setup();
    const start = await addUrl(token, assistant.id, { url: site.url("/"), crawl: { max_pages: 50, max_depth: 1 } });
    expect(start.status).toBe(202);
    const docs = await crawlSettled(token, assistant.id);

    expect(docs.map((d) => site.pathOf(d.source_url)).sort()).toEqual(["/", ...LINKED_PAGES].sort());
    expect(docs.every((d) => d.status === "ready" && d.source_type === "url")).toBe(true);
    const byPath = new Map(docs.map((d) => [site.pathOf(d.source_url), d]));
    expect(byPath.get("/")).toMatchObject({ id: start.body.id, title: "Acme Help Center" });
    expect(byPath.get("/help/returns")?.title).toBe("Returns");
    expect(byPath.get("/guide.pdf")?.title).toBe("Assembly Guide");

    // Disallowed, nofollow, external and deeper pages were never even requested, and each page once.
    const served = await site.served();
    expect(served.sort()).toEqual(["/", ...LINKED_PAGES].sort());
    expect(await site.userAgents()).toEqual([expect.stringMatching(/^EdgeDeskBot\//)]);
    for (const hits of [await keywordSearch(token, assistant.id, "parcels courier"), await keywordSearch(token, assistant.id, "refund accessories")]) {
      expect(hits.body.data).toHaveLength(1);
    }
    expect((await keywordSearch(token, assistant.id, "winter workshop")).body.data).toEqual([]);
  });

  it("goes one level deeper with max_depth 2, fetching each page once despite links back", async () => {
    const site = freshSite("deeper");
    const { assistant, token } = await setup();
    await addUrl(token, assistant.id, { url: site.url("/"), crawl: { max_pages: 50, max_depth: 2 } });
    const docs = await crawlSettled(token, assistant.id);
    expect(docs.map((d) => site.pathOf(d.source_url)).sort()).toEqual(["/", ...LINKED_PAGES, "/help/holidays"].sort());
    const served = await site.served();
    // Hours links back home and shipping links to hours: neither is fetched a second time.
    expect(served.sort()).toEqual(["/", ...LINKED_PAGES, "/help/holidays"].sort());
  });

  it("never creates more than max_pages documents", async () => {
    const site = freshSite("pages");
    const { assistant, token } = await setup();
    await addUrl(token, assistant.id, { url: site.url("/"), crawl: { max_pages: 3, max_depth: 3 } });
    const docs = await crawlSettled(token, assistant.id);
    // Give any page still wrongly queued a chance to show up.
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await documents(token, assistant.id);
    expect(after).toHaveLength(3);
    expect(docs.map((d) => d.id).sort()).toEqual(after.map((d) => d.id).sort());
    const paths = after.map((d) => site.pathOf(d.source_url));
    expect(paths).toContain("/");
    for (const p of paths.filter((p) => p !== "/")) expect(LINKED_PAGES).toContain(p);
  });

  it("holds max_pages and queues a page once when crawl jobs find pages at the same time", async () => {
    const site = freshSite("race");
    const { s, assistant, token } = await setup();
    const start = await addUrl(token, assistant.id, { url: site.url("/"), crawl: { max_pages: 3, max_depth: 0 } });
    const home = await settled(token, start.body.id);
    const crawl = { max_pages: 3, max_depth: 1, depth: 1, started_at: (await call("GET", `/api/v1/documents/${home.id}`, { token })).body.created_at };
    const origin = new URL(env.SITE_URL).origin;
    // Five jobs finding five pages (one of them twice) at once: the start page and two more fit.
    const found = [...LINKED_PAGES, "/help/hours"];
    const outcomes = await Promise.all(found.map((p) => queueCrawledPage(env, s.workspace.id, assistant.id, site.url(p), origin, crawl)));
    expect(outcomes.filter((o) => o === "queued")).toHaveLength(2);
    expect(outcomes.filter((o) => o === "full").length).toBeGreaterThanOrEqual(3);
    const docs = await crawlSettled(token, assistant.id);
    expect(docs).toHaveLength(3);
    expect(new Set(docs.map((d) => d.source_url)).size).toBe(3);
  });

  it("imports the pages a sitemap lists; the sitemap itself is ready with no chunks", async () => {
    const site = freshSite("sitemap");
    const { assistant, token } = await setup();
    const created = await addUrl(token, assistant.id, { url: site.url("/sitemap.xml") });
    const docs = await crawlSettled(token, assistant.id);
    expect(docs.map((d) => site.pathOf(d.source_url)).sort()).toEqual(["/sitemap.xml", "/help/shipping", "/help/returns", "/guide.pdf"].sort());
    const sitemap = docs.find((d) => d.id === created.body.id)!;
    expect(sitemap).toMatchObject({ status: "ready", chunk_count: 0, title: `Sitemap: ${site.url("/sitemap.xml")}` });
    // The sitemap's pages are not crawled further, and its URL on another site is ignored.
    expect((await site.served()).sort()).toEqual(["/sitemap.xml", "/help/shipping", "/help/returns", "/guide.pdf"].sort());
    expect((await keywordSearch(token, assistant.id, "parcels courier")).body.data).toHaveLength(1);
  });

  it("reads a sitemap index's sitemaps, even one that lists the index again", async () => {
    const site = freshSite("index");
    const { assistant, token } = await setup();
    await addUrl(token, assistant.id, { url: site.url("/sitemap-index.xml"), crawl: { max_pages: 50, max_depth: 1 } });
    const docs = await crawlSettled(token, assistant.id);
    expect(docs.map((d) => site.pathOf(d.source_url)).sort()).toEqual(
      ["/sitemap-index.xml", "/sitemap-help.xml", "/sitemap-more.xml", "/help/hours", "/help/shipping", "/help/contact", "/guide.pdf"].sort(),
    );
    expect(docs.filter((d) => d.title.startsWith("Sitemap:")).every((d) => d.chunk_count === 0)).toBe(true);
    const served = await site.served();
    expect(served.filter((p) => p === "/sitemap-index.xml")).toHaveLength(1);
  });

  it("refreshes a changed page on a re-crawl and leaves unchanged pages alone", { timeout: 45_000 }, async () => {
    const site = freshSite("recrawl");
    const { assistant, token } = await setup();
    const crawl = { max_pages: 6, max_depth: 1 };
    const first = await addUrl(token, assistant.id, { url: site.url("/"), crawl });
    const before = await crawlSettled(token, assistant.id);
    expect(before).toHaveLength(6);
    const hoursBefore = before.find((d) => site.pathOf(d.source_url) === "/help/hours")!;
    const chunksBefore = new Map(await Promise.all(before.map(async (d) => [d.id, await indexedChunkIds(assistant.id, d.id)] as const)));
    expect((await keywordSearch(token, assistant.id, "Monday Friday")).body.data[0]).toMatchObject({ document_id: hoursBefore.id });

    await site.setPage(
      "/help/hours",
      `<!doctype html><html><head><title>Opening hours</title></head><body><h1>Opening hours</h1>
       <p>From March the Acme shop also opens on Saturday mornings, eight until noon.</p></body></html>`,
    );
    const recrawlStartedAt = new Date().toISOString();
    const again = await addUrl(token, assistant.id, { url: site.url("/"), crawl });
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: false });
    // Every page of the first crawl is visited again (at most six, as the limit says).
    const after = await crawlSettled(token, assistant.id, (docs) => docs.every((d) => d.updated_at >= recrawlStartedAt));

    expect(after.map((d) => d.id).sort()).toEqual(before.map((d) => d.id).sort());
    const hoursAfter = after.find((d) => d.id === hoursBefore.id)!;
    expect(hoursAfter).toMatchObject({ status: "ready", title: "Opening hours" });
    expect(hoursAfter.content_hash).not.toBe(hoursBefore.content_hash);
    const fresh = await keywordSearch(token, assistant.id, "Saturday mornings");
    expect(fresh.body.data.map((h: { document_id: string }) => h.document_id)).toEqual([hoursBefore.id]);
    expect((await keywordSearch(token, assistant.id, "Monday Friday")).body.data).toEqual([]);

    for (const doc of after.filter((d) => d.id !== hoursBefore.id)) {
      const previous = before.find((d) => d.id === doc.id)!;
      expect(doc, site.pathOf(doc.source_url)).toMatchObject({ status: "ready", title: previous.title, content_hash: previous.content_hash });
      expect(await indexedChunkIds(assistant.id, doc.id), site.pathOf(doc.source_url)).toEqual(chunksBefore.get(doc.id));
    }
  });

  it("keeps a crawl inside its own workspace when two workspaces crawl the same site", async () => {
    const site = freshSite("tenants");
    const a = await setup();
    const b = await setup();
    const [startA, startB] = await Promise.all([
      addUrl(a.token, a.assistant.id, { url: site.url("/"), crawl: { max_pages: 50, max_depth: 1 } }),
      addUrl(b.token, b.assistant.id, { url: site.url("/"), crawl: { max_pages: 2, max_depth: 1 } }),
    ]);
    expect(startA.body.id).not.toBe(startB.body.id);
    const [docsA, docsB] = await Promise.all([crawlSettled(a.token, a.assistant.id), crawlSettled(b.token, b.assistant.id)]);
    expect(docsA).toHaveLength(6);
    expect(docsB).toHaveLength(2);

    const rows = await env.DB.prepare("select workspace_id, assistant_id, count(*) as n from kb_documents where source_url like ? group by 1, 2")
      .bind(`${site.url("/")}%`)
      .all<{ workspace_id: string; assistant_id: string; n: number }>();
    expect(rows.results.sort((x, y) => y.n - x.n)).toEqual([
      { workspace_id: a.s.workspace.id, assistant_id: a.assistant.id, n: 6 },
      { workspace_id: b.s.workspace.id, assistant_id: b.assistant.id, n: 2 },
    ]);
    for (const doc of docsB) expect((await call("GET", `/api/v1/documents/${doc.id}`, { token: a.token })).status).toBe(404);
    expect((await keywordSearch(b.token, b.assistant.id, "Acme")).body.data.every((h: { document_id: string }) => docsB.some((d) => d.id === h.document_id))).toBe(true);
  });
});
