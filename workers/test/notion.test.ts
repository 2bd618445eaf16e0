import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { queueDueNotionSyncs } from "../src/knowledge/notion/sources";
import type { FakeBlock, FakeDatabase, FakePage } from "./fake-notion-server";
import { call, createAssistant, signUp } from "./helpers";

/**
 * Notion pages and databases as knowledge, against the fake Notion API of
 * fake-notion-server.ts: each test connects its own Notion workspace (its own integration
 * token), adds pages or a database to an assistant, and watches the sync run on the queue.
 */

interface Source {
  id: string;
  kind: string;
  status: string;
  error: string | null;
  title: string | null;
  url: string | null;
  page_count: number;
  documents: { ready: number; pending: number; failed: number };
  last_synced_at: string | null;
}

interface Doc {
  id: string;
  title: string;
  source_type: string;
  source_url: string | null;
  status: string;
  updated_at: string;
}

interface NotionRequest {
  method: string;
  path: string;
  status: number;
  at: number;
}

const uuid = () => crypto.randomUUID();
const bare = (id: string) => id.replace(/-/g, "");

/** A workspace with an assistant and a connected Notion whose content the test controls. */
async function connected(pages: FakePage[], databases: FakeDatabase[] = [], maxPageSize?: number) {
  const s = await signUp("Notion");
  const token = s.access_token as string;
  const assistant = await createAssistant(token);
  const notionToken = `ntn_${bare(uuid())}`;
  const notion = {
    async set(nextPages: FakePage[], nextDatabases: FakeDatabase[] = databases): Promise<void> {
      const res = await fetch(`${env.NOTION_FAKE_URL}/_test/workspaces/${notionToken}`, {
        method: "PUT",
        body: JSON.stringify({ pages: nextPages, databases: nextDatabases, max_page_size: maxPageSize }),
      });
      expect(res.status).toBe(200);
    },
    async rateLimit(times: number, retryAfter: number, pathContains = ""): Promise<void> {
      const body = JSON.stringify({ times, retry_after: retryAfter, path_contains: pathContains });
      const res = await fetch(`${env.NOTION_FAKE_URL}/_test/workspaces/${notionToken}/rate-limit`, { method: "POST", body });
      expect(res.status).toBe(200);
    },
    async requests(): Promise<NotionRequest[]> {
      return (await (await fetch(`${env.NOTION_FAKE_URL}/_test/workspaces/${notionToken}/requests`)).json()) as NotionRequest[];
    },
  };
  await notion.set(pages, databases);
  const saved = await call("PUT", "/api/v1/integrations/notion", {
    token,
    body: { config: { api_base_url: env.NOTION_FAKE_URL }, secrets: { token: notionToken } },
  });
  expect(saved.status).toBe(200);
  expect(JSON.stringify(saved.body)).not.toContain(notionToken);
  return { token, assistantId: assistant.id as string, notion };
}

async function sources(token: string, assistantId: string): Promise<Source[]> {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/notion-sources`, { token });
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Waits until the source's last sync is done and none of its pages waits for ingestion. */
async function synced(token: string, sourceId: string, after?: string): Promise<Source> {
  let last: Source | undefined;
  await expect
    .poll(
      async () => {
        last = (await call("GET", `/api/v1/notion-sources/${sourceId}`, { token })).body as Source;
        const fresh = after === undefined || (last.last_synced_at !== null && last.last_synced_at > after);
        return fresh && (last.status === "ready" || last.status === "failed") && last.documents.pending === 0;
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBe(true);
  return last!;
}

async function documents(token: string, assistantId: string): Promise<Doc[]> {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/documents?limit=100`, { token });
  expect(res.status).toBe(200);
  return res.body.data;
}

async function search(token: string, assistantId: string, q: string) {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/search?q=${encodeURIComponent(q)}&k=5`, { token });
  expect(res.status).toBe(200);
  return res.body.data as { document_id: string; title: string; content: string; source: string | null }[];
}

/** A help page with every kind of block the sync reads, some nested. */
function returnsPage(id: string, edited: string, refundDays = 5): FakePage {
  const blocks: FakeBlock[] = [
    { type: "heading_1", text: "Returning an order" },
    { type: "paragraph", text: "Unworn items can be returned within 30 days of delivery." },
    {
      type: "bulleted_list_item",
      text: "Refunds",
      children: [{ type: "bulleted_list_item", text: `Refunds reach the original payment method within ${refundDays} business days.` }],
    },
    { type: "numbered_list_item", text: "Print the prepaid return label from your account." },
    { type: "heading_2", text: "Return costs by region" },
    { type: "table", rows: [["Region", "Cost"], ["Europe", "free"], ["Overseas", "12 euros"]] },
    { type: "code", text: "RETURN-CODE: RX-2291", language: "plain text" },
    { type: "quote", text: "Our couriers collect parcels from the door on weekdays." },
    { type: "toggle", text: "What about gift cards?", children: [{ type: "paragraph", text: "Gift cards are final sale and cannot be refunded." }] },
    { type: "divider" },
    { type: "to_do", text: "Pack the item in its original box", checked: true },
  ];
  return { id, title: "Returns policy", last_edited_time: edited, blocks };
}

describe("Notion pages as knowledge", () => {
  it("turns a page with nested blocks into a searchable document that answers cite with the page's link", async () => {
    const pageId = uuid();
    // Two blocks per list answer: every level of the page is read through next_cursor.
    const { token, assistantId, notion } = await connected([returnsPage(pageId, "2026-11-01T10:00:00.000Z")], [], 2);
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, {
      token,
      body: { page_ids: [`https://www.notion.so/acme/Returns-policy-${bare(pageId)}`] },
    });
    expect(added.status).toBe(202);
    expect(added.body.data).toHaveLength(1);
    expect(added.body.data[0]).toMatchObject({ kind: "page", notion_id: pageId, status: "queued" });

    const source = await synced(token, added.body.data[0].id);
    expect(source).toMatchObject({ status: "ready", title: "Returns policy", page_count: 1, documents: { ready: 1, pending: 0, failed: 0 } });
    const [doc] = await documents(token, assistantId);
    expect(doc).toMatchObject({ title: "Returns policy", source_type: "notion", status: "ready" });
    expect(doc!.source_url).toBe(`https://www.notion.so/Returns-policy-${bare(pageId)}`);

    // The nested list item, the toggle's content, a table row and the code block are all indexed.
    for (const [q, fact] of [
      ["when do refunds reach my payment method", /original payment method within 5 business days/],
      ["can gift cards be refunded", /Gift cards are final sale/],
      ["overseas return cost", /Overseas \| 12 euros/],
      ["RX-2291", /RETURN-CODE: RX-2291/],
    ] as const) {
      const hits = await search(token, assistantId, q);
      const hit = hits.find((h) => fact.test(h.content));
      expect(hit, q).toBeDefined();
      expect(hit).toMatchObject({ document_id: doc!.id, title: "Returns policy", source: doc!.source_url });
    }
    const paged = (await notion.requests()).filter((r) => r.path === `/v1/blocks/${pageId}/children`);
    expect(paged.length).toBeGreaterThan(1);

    const conv = await call("POST", "/api/v1/conversations", { token, body: { assistant_id: assistantId, visitor_id: `v-${uuid()}`, channel: "api" } });
    expect(conv.status).toBe(201);
    const answer = await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/messages`, {
      token,
      body: { content: "Can gift cards be refunded?" },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.message.content).toMatch(/final sale/);
    expect(answer.body.message.sources).toContainEqual(expect.objectContaining({ document_id: doc!.id, title: "Returns policy", url: doc!.source_url }));
  });

  it("re-syncs a database incrementally: an edited page is indexed again, an unchanged one is not fetched, a deleted one disappears", async () => {
    const [shipping, warranty, returns] = [uuid(), uuid(), uuid()];
    const database: FakeDatabase = { id: uuid(), title: "Help center", data_source_id: uuid(), page_ids: [shipping, warranty, returns] };
    const page = (id: string, title: string, text: string, edited: string): FakePage => ({ id, title, last_edited_time: edited, blocks: [{ type: "paragraph", text }] });
    const v1 = "2026-11-01T10:00:00.000Z";
    const pages = [
      page(shipping, "Shipping", "Standard shipping takes 4 working days.", v1),
      page(warranty, "Warranty", "Every frame carries a lifetime warranty.", v1),
      page(returns, "Returns", "Returns are accepted for 30 days.", v1),
    ];
    // One page per query answer: the database's pages are listed through next_cursor.
    const { token, assistantId, notion } = await connected(pages, [database], 1);
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body: { database_id: database.id } });
    expect(added.status).toBe(202);
    const sourceId = added.body.data[0].id as string;
    const first = await synced(token, sourceId);
    expect(first).toMatchObject({ kind: "database", title: "Help center", page_count: 3, documents: { ready: 3, pending: 0, failed: 0 } });
    expect((await notion.requests()).filter((r) => r.path.endsWith("/query")).length).toBe(3);
    const before = new Map((await documents(token, assistantId)).map((d) => [d.title, d]));

    const seen = (await notion.requests()).length;
    pages[0] = page(shipping, "Shipping", "Standard shipping now takes 2 working days.", "2026-11-02T09:30:00.000Z");
    await notion.set(pages);
    const resync = await call("POST", `/api/v1/notion-sources/${sourceId}/sync`, { token });
    expect(resync.status).toBe(202);
    await synced(token, sourceId, first.last_synced_at!);
    await expect.poll(async () => (await search(token, assistantId, "how long does shipping take")).some((h) => /now takes 2 working days/.test(h.content)), { timeout: 30_000 }).toBe(true);
    expect((await search(token, assistantId, "how long does shipping take")).some((h) => /4 working days/.test(h.content))).toBe(false);
    const since = (await notion.requests()).slice(seen);
    expect(since.some((r) => r.path === `/v1/blocks/${shipping}/children`)).toBe(true);
    expect(since.some((r) => r.path.includes(warranty) || r.path.includes(returns))).toBe(false);
    const after = new Map((await documents(token, assistantId)).map((d) => [d.title, d]));
    expect(after.get("Warranty")!.updated_at).toBe(before.get("Warranty")!.updated_at);
    expect(after.get("Shipping")!.id).toBe(before.get("Shipping")!.id);

    // Warranty is trashed in Notion, Returns taken out of the database.
    const second = (await call("GET", `/api/v1/notion-sources/${sourceId}`, { token })).body as Source;
    await notion.set(
      [pages[0]!, { ...pages[1]!, in_trash: true }, pages[2]!],
      [{ ...database, page_ids: [shipping, warranty] }],
    );
    expect((await call("POST", `/api/v1/notion-sources/${sourceId}/sync`, { token })).status).toBe(202);
    const third = await synced(token, sourceId, second.last_synced_at!);
    expect(third).toMatchObject({ page_count: 1, documents: { ready: 1, pending: 0, failed: 0 } });
    expect((await documents(token, assistantId)).map((d) => d.title)).toEqual(["Shipping"]);
    expect(await search(token, assistantId, "lifetime warranty frame")).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ document_id: before.get("Warranty")!.id })]),
    );
    expect((await search(token, assistantId, "returns accepted 30 days")).some((h) => h.document_id === before.get("Returns")!.id)).toBe(false);
  });

  it("removes a page's document when the page is no longer shared with the integration", async () => {
    const pageId = uuid();
    const page = returnsPage(pageId, "2026-11-01T10:00:00.000Z");
    const { token, assistantId, notion } = await connected([page]);
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body: { page_ids: [pageId] } });
    const first = await synced(token, added.body.data[0].id);
    expect(first.documents.ready).toBe(1);

    await notion.set([{ ...page, shared: false }]);
    await call("POST", `/api/v1/notion-sources/${first.id}/sync`, { token });
    const after = await synced(token, first.id, first.last_synced_at!);
    expect(after.status).toBe("failed");
    expect(after.error).toMatch(/no longer shared/);
    expect(await documents(token, assistantId)).toEqual([]);
    expect(await search(token, assistantId, "gift cards refunded")).toEqual([]);
  });

  it("follows a page's sub-pages at every level, each a document of its own, and drops a trashed one with what is under it", async () => {
    const [root, bikes, care, winter, other] = [uuid(), uuid(), uuid(), uuid(), uuid()];
    const edited = "2026-11-01T10:00:00.000Z";
    const page = (id: string, title: string, text: string, parentId?: string, subPages: [string, string][] = []): FakePage => ({
      id,
      title,
      last_edited_time: edited,
      ...(parentId ? { parent_id: parentId } : {}),
      blocks: [{ type: "paragraph", text }, ...subPages.map(([pageId, t]) => ({ type: "child_page", text: t, page_id: pageId }))],
    });
    const pages = [
      page(root, "Help centre", "Everything about our bikes and your orders.", undefined, [[bikes, "Bikes"], [care, "Care"]]),
      page(bikes, "Bikes", "Every frame is welded in Leipzig.", root),
      page(care, "Care", "Clean the chain every 300 kilometres.", root, [[winter, "Winter storage"]]),
      page(winter, "Winter storage", "Store the battery indoors at 10 to 20 degrees over winter.", care),
      page(other, "Staff handbook", "Payroll runs on the 25th of each month.", undefined),
    ];
    // Two pages per search answer: the listing follows next_cursor.
    const { token, assistantId, notion } = await connected(pages, [], 2);
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body: { page_ids: [root] } });
    const first = await synced(token, added.body.data[0].id);
    expect(first).toMatchObject({ status: "ready", title: "Help centre", page_count: 4, documents: { ready: 4, pending: 0, failed: 0 } });
    const docs = await documents(token, assistantId);
    expect(docs.map((d) => d.title).sort()).toEqual(["Bikes", "Care", "Help centre", "Winter storage"]);
    const storage = docs.find((d) => d.title === "Winter storage")!;
    expect(storage.source_url).toBe(`https://www.notion.so/Winter-storage-${bare(winter)}`);
    const hits = await search(token, assistantId, "where do I store the battery over winter");
    expect(hits[0]).toMatchObject({ document_id: storage.id, title: "Winter storage" });
    // A page outside the tree is neither read nor indexed.
    const requests = await notion.requests();
    expect(requests.filter((r) => r.path === "/v1/search").length).toBe(3);
    expect(requests.some((r) => r.path.includes(other))).toBe(false);
    expect((await search(token, assistantId, "when does payroll run")).some((h) => /Payroll/.test(h.content))).toBe(false);

    // "Care" goes to Notion's trash: it leaves, and so does "Winter storage" under it.
    await notion.set(pages.map((p) => (p.id === care ? { ...p, in_trash: true } : p)));
    expect((await call("POST", `/api/v1/notion-sources/${first.id}/sync`, { token })).status).toBe(202);
    const second = await synced(token, first.id, first.last_synced_at!);
    expect(second).toMatchObject({ status: "ready", page_count: 2, documents: { ready: 2, pending: 0, failed: 0 } });
    expect((await documents(token, assistantId)).map((d) => d.title).sort()).toEqual(["Bikes", "Help centre"]);
    expect((await search(token, assistantId, "store the battery over winter")).some((h) => h.document_id === storage.id)).toBe(false);
  });

  it("waits the Retry-After of a 429 through the queue and completes the sync", async () => {
    const pageId = uuid();
    const { token, assistantId, notion } = await connected([returnsPage(pageId, "2026-11-01T10:00:00.000Z")]);
    // Two refusals: the page's first block read (its ingestion), and the first request of all (the sync's listing).
    await notion.rateLimit(1, 2, "/children");
    await notion.rateLimit(1, 2);
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body: { page_ids: [pageId] } });
    const source = await synced(token, added.body.data[0].id);
    expect(source).toMatchObject({ status: "ready", error: null, documents: { ready: 1, pending: 0, failed: 0 } });
    const requests = await notion.requests();
    const limited = requests.flatMap((r, i) => (r.status === 429 ? [i] : []));
    expect(limited).toHaveLength(2);
    expect(limited.map((i) => requests[i]!.path)).toEqual([`/v1/pages/${pageId}`, `/v1/blocks/${pageId}/children`]);
    for (const i of limited) {
      // The same request again, answered, no sooner than Retry-After said.
      const retried = requests.slice(i + 1).find((r) => r.path === requests[i]!.path)!;
      expect(retried.status).toBe(200);
      expect(retried.at - requests[i]!.at).toBeGreaterThanOrEqual(1_900);
    }
    expect((await search(token, assistantId, "gift cards refunded")).length).toBeGreaterThan(0);
  });

  it("re-syncs sources on the schedule once NOTION_RESYNC_HOURS have passed since their last sync", async () => {
    const pageId = uuid();
    const page = returnsPage(pageId, "2026-11-01T10:00:00.000Z");
    const { token, assistantId, notion } = await connected([page]);
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body: { page_ids: [pageId] } });
    const first = await synced(token, added.body.data[0].id);
    await notion.set([returnsPage(pageId, "2026-11-03T08:00:00.000Z", 3)]);

    // Synced moments ago: not due yet.
    expect(await queueDueNotionSyncs(env, new Date())).toBe(0);
    expect((await call("GET", `/api/v1/notion-sources/${first.id}`, { token })).body.last_synced_at).toBe(first.last_synced_at);

    // Seven hours on, past the default six, the scheduled run queues it and the edit arrives.
    expect(await queueDueNotionSyncs(env, new Date(Date.now() + 7 * 3_600_000))).toBeGreaterThanOrEqual(1);
    await synced(token, first.id, first.last_synced_at!);
    await expect
      .poll(async () => (await search(token, assistantId, "refunds original payment method")).some((h) => /within 3 business days/.test(h.content)), { timeout: 30_000 })
      .toBe(true);
  });

  it("tests the connection with the stored token, and says when Notion refuses it", async () => {
    const { token } = await connected([]);
    const ok = await call("POST", "/api/v1/integrations/notion/test", { token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ type: "notion", ok: true, detail: "authenticated as the integration EdgeDesk sync" });
    await call("PUT", "/api/v1/integrations/notion", { token, body: { config: { api_base_url: env.NOTION_FAKE_URL }, secrets: { token: "ntn_unknown" } } });
    const refused = await call("POST", "/api/v1/integrations/notion/test", { token });
    expect(refused.body).toMatchObject({ ok: false, detail: expect.stringMatching(/refused the integration token/) });
  });

  it("refuses sources before Notion is connected, bad ids, and another workspace's sources", async () => {
    const s = await signUp("NoNotion");
    const assistant = await createAssistant(s.access_token);
    const early = await call("POST", `/api/v1/assistants/${assistant.id}/notion-sources`, { token: s.access_token, body: { page_ids: [uuid()] } });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("conflict");

    const { token, assistantId } = await connected([]);
    for (const body of [{}, { page_ids: ["not-a-notion-id"] }, { page_ids: [] }, { database_id: 42 }]) {
      const res = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    const added = await call("POST", `/api/v1/assistants/${assistantId}/notion-sources`, { token, body: { database_id: uuid() } });
    expect(added.status).toBe(202);
    const id = added.body.data[0].id as string;
    for (const [method, path] of [
      ["GET", `/api/v1/notion-sources/${id}`],
      ["POST", `/api/v1/notion-sources/${id}/sync`],
      ["DELETE", `/api/v1/notion-sources/${id}`],
    ] as const) {
      expect((await call(method, path, { token: s.access_token })).status).toBe(404);
    }
    expect((await sources(token, assistantId)).map((x) => x.id)).toEqual([id]);
    expect((await call("DELETE", `/api/v1/notion-sources/${id}`, { token })).status).toBe(204);
    expect(await sources(token, assistantId)).toEqual([]);
    const openapi = await call("GET", "/api/v1/openapi.json");
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(["/api/v1/assistants/{id}/notion-sources", "/api/v1/notion-sources/{id}/sync"]));
  });
});
