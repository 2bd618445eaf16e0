import { env, runInDurableObject } from "cloudflare:test";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresAnalyticsSink } from "../src/analytics/postgres-sink";
import { runHousekeeping } from "../src/compliance/housekeeping";
import type { ConversationDO } from "../src/conversation/conversation-do";
import worker from "../src/index";
import { addKnowledge, openSocket, SHOP_ARTICLES } from "./conversation-helpers";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";
import { indexRowCounts } from "./knowledge-index-helpers";
import { TEST_STRIPE_KEY } from "./stripe-events";

const rand = () => Math.random().toString(36).slice(2, 10);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);

afterEach(() => {
  delete env.HYPERDRIVE;
  delete env.STRIPE_SECRET_KEY;
});

/** Every D1 table the platform (or SQLite) created, except SQLite's and D1's own. */
async function allTables(): Promise<string[]> {
  const { results } = await env.DB.prepare("select name from sqlite_master where type = 'table'").all<{ name: string }>();
  return results.map((r) => r.name).filter((n) => !/^(sqlite_|_cf_|d1_)/.test(n) && !/^kb_chunks_fts_/.test(n));
}

/** Tables (and the row count) whose rows mention `needle` anywhere, in any column. */
async function d1RowsMentioning(needle: string): Promise<Record<string, number>> {
  const hits: Record<string, number> = {};
  for (const t of await allTables()) {
    const { results } = await env.DB.prepare(`select * from "${t}"`).all();
    const n = results.filter((r) => JSON.stringify(r).includes(needle)).length;
    if (n > 0) hits[t] = n;
  }
  return hits;
}

/** What a conversation's Durable Object holds, table by table, read from its own SQLite. */
async function doRowCounts(conversationId: string): Promise<Record<string, number>> {
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  return runInDurableObject(stub, (_obj: ConversationDO, state) => {
    const out: Record<string, number> = {};
    for (const t of ["conversation", "messages", "stream_chunks", "escalations", "outbox"]) {
      out[t] = state.storage.sql.exec(`select count(*) as n from ${t}`).one().n as number;
    }
    return out;
  });
}

async function alarmOf(conversationId: string) {
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  return runInDurableObject(stub, (_obj: ConversationDO, state) => state.storage.getAlarm());
}

async function r2Keys(prefix: string): Promise<string[]> {
  return (await env.FILES.list({ prefix })).objects.map((o) => o.key);
}

/** A workspace where one visitor has two conversations (with answers, a rating and a file), and another visitor has one. */
async function populatedWorkspace() {
  const s = await signUp("Rights");
  const assistant = await createAssistant(s.access_token);
  await addKnowledge(s.workspace.id, assistant.id, SHOP_ARTICLES);
  const key = await createSecretKey(s.access_token, "manager");
  const visitor = `visitor-${rand()}@shop`;
  const other = `visitor-${rand()}-kept`;
  const secretWords = `order ORD-${rand()} never arrived`;
  const start = async (visitorId: string, text: string) => {
    const res = await call("POST", "/api/v1/conversations", { token: key.key, body: { assistant_id: assistant.id, visitor_id: visitorId, channel: "api" } });
    expect(res.status).toBe(201);
    const id = res.body.conversation_id as string;
    const answer = await call("POST", `/api/v1/conversations/${id}/messages`, { token: key.key, body: { content: text } });
    expect(answer.status).toBe(200);
    return { id, token: res.body.token as string };
  };
  const a = await start(visitor, `Hello, my ${secretWords}. How long does shipping take?`);
  const b = await start(visitor, "How do refunds work?");
  const c = await start(other, "Battery care tips?");
  const form = new FormData();
  form.set("file", new File([PNG], "receipt.png", { type: "image/png" }));
  const upload = await call("POST", `/api/v1/conversations/${a.id}/attachments`, { token: key.key, rawBody: form });
  expect(upload.status).toBe(201);
  expect((await call("POST", `/api/v1/conversations/${b.id}/satisfaction`, { token: b.token, body: { score: 4, comment: `thanks from ${visitor}` } })).status).toBe(200);
  // Analytics events reach D1 through the queue; wait until the visitor's are there.
  await expect
    .poll(async () => (await env.DB.prepare("select count(*) as n from analytics_events where visitor_id = ?").bind(visitor).first<{ n: number }>())!.n, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(6);
  return { s, assistant, key, visitor, other, secretWords, conversations: [a.id, b.id], kept: c.id, token: s.access_token, ws: s.workspace.id };
}

describe("GET /api/v1/visitors/:visitor_id/export", () => {
  it("returns every conversation and message of that visitor, and nobody else's", async () => {
    const w = await populatedWorkspace();
    const res = await call("GET", `/api/v1/visitors/${encodeURIComponent(w.visitor)}/export`, { token: w.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = res.body;
    expect(body.visitor_id).toBe(w.visitor);
    expect(body.conversations.map((c: { id: string }) => c.id).sort()).toEqual([...w.conversations].sort());
    const [first, second] = [...body.conversations].sort((x: { id: string }, y: { id: string }) => w.conversations.indexOf(x.id) - w.conversations.indexOf(y.id));
    expect(first.messages.map((m: { sender_type: string }) => m.sender_type)).toEqual(["visitor", "assistant"]);
    expect(first.messages[0].content).toContain(w.secretWords);
    expect(first.messages[1]).toMatchObject({ sender_type: "assistant", content: expect.any(String), sources: expect.any(Array) });
    expect(second).toMatchObject({ satisfaction_score: 4, satisfaction_comment: `thanks from ${w.visitor}`, visitor_id: w.visitor, channel: "api" });
    expect(JSON.stringify(body)).not.toContain(w.other);
    expect(JSON.stringify(body)).not.toContain("Battery care tips");

    const nobody = await call("GET", "/api/v1/visitors/nobody-here/export", { token: w.token });
    expect(nobody.body.conversations).toEqual([]);
    // Another workspace's admin sees nothing of this visitor.
    const stranger = await signUp("Stranger");
    const theirs = await call("GET", `/api/v1/visitors/${encodeURIComponent(w.visitor)}/export`, { token: stranger.access_token });
    expect(theirs.body.conversations).toEqual([]);
    // Admins only.
    const viewer = await createSecretKey(w.token, "viewer");
    expect((await call("GET", `/api/v1/visitors/${encodeURIComponent(w.visitor)}/export`, { token: viewer.key })).status).toBe(403);
    expect((await call("GET", `/api/v1/visitors/${encodeURIComponent(w.visitor)}/export`, { token: w.key.key })).status).toBe(403);
  });
});

describe("DELETE /api/v1/visitors/:visitor_id", () => {
  it("erases the visitor from every store, provably, and audits it without the data", async () => {
    const w = await populatedWorkspace();
    const socket = await openSocket(w.conversations[0]!, (await call("POST", `/api/v1/conversations/${w.conversations[0]}/token`, { token: w.key.key, body: {} })).body.token);
    await socket.waitFor((e) => e.type === "status");
    const closed = new Promise<number>((resolve) => socket.ws.addEventListener("close", (e) => resolve(e.code)));
    for (const id of w.conversations) expect((await r2Keys(`ws/${w.ws}/conv/${id}/`)).length + ((await doRowCounts(id)).messages ?? 0)).toBeGreaterThan(0);

    const res = await call("DELETE", `/api/v1/visitors/${encodeURIComponent(w.visitor)}`, { token: w.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ visitor_id: w.visitor, conversations: 2, messages: 4, attachments: 1, analytics_events: expect.any(Number) });
    expect(res.body.analytics_events).toBeGreaterThanOrEqual(6);
    expect(await closed).toBe(1000);

    // Each conversation's Durable Object: every table empty, no alarm left.
    for (const id of w.conversations) {
      expect(await doRowCounts(id)).toEqual({ conversation: 0, messages: 0, stream_chunks: 0, escalations: 0, outbox: 0 });
      expect(await alarmOf(id)).toBeNull();
      // R2: the conversation's files are gone.
      expect(await r2Keys(`ws/${w.ws}/conv/${id}/`)).toEqual([]);
      // The API agrees.
      expect((await call("GET", `/api/v1/conversations/${id}`, { token: w.token })).status).toBe(404);
    }
    // D1: no row of any table mentions the visitor, their words or their conversations, except
    // the one follow-up that sweeps the analytics store again for events still queued.
    expect(await d1RowsMentioning(w.secretWords)).toEqual({});
    for (const id of w.conversations) expect(await d1RowsMentioning(id)).toEqual({});
    expect(await d1RowsMentioning(w.visitor)).toEqual({ erasure_followups: 1 });
    const report = await runHousekeeping(env, new Date(Date.now() + 10 * 60_000));
    expect(report.erasure_followups).toBeGreaterThanOrEqual(1);
    expect(await d1RowsMentioning(w.visitor)).toEqual({});

    // The audit log records the erasure, by counts and a fingerprint, never the data.
    const audit = await call("GET", "/api/v1/audit-logs?limit=100", { token: w.token });
    const entry = audit.body.data.find((e: { action: string }) => e.action === "visitor.erased");
    expect(entry).toMatchObject({ target_type: "visitor", target_id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), metadata: { conversations: 2, messages: 4, attachments: 1 } });
    expect(JSON.stringify(audit.body)).not.toContain(w.visitor);

    // The other visitor is untouched everywhere.
    expect((await doRowCounts(w.kept)).messages).toBe(2);
    expect((await call("GET", `/api/v1/conversations/${w.kept}`, { token: w.token })).status).toBe(200);
    const kept = await env.DB.prepare("select count(*) as n from analytics_events where visitor_id = ?").bind(w.other).first<{ n: number }>();
    expect(kept!.n).toBeGreaterThan(0);
    // The export now holds nothing; erasing again is harmless.
    expect((await call("GET", `/api/v1/visitors/${encodeURIComponent(w.visitor)}/export`, { token: w.token })).body.conversations).toEqual([]);
    expect((await call("DELETE", `/api/v1/visitors/${encodeURIComponent(w.visitor)}`, { token: w.token })).body).toMatchObject({ conversations: 0, messages: 0 });
  });

  it("erases the visitor's analytics events in Postgres too, when Hyperdrive is configured", async () => {
    const s = await signUp("RightsPg");
    const visitor = `pg-visitor-${rand()}`;
    const sink = new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString);
    const at = new Date().toISOString();
    await sink.writeEvents([
      { id: `evt_pg${rand()}a`, workspace_id: s.workspace.id, type: "message.received", visitor_id: visitor, created_at: at },
      { id: `evt_pg${rand()}b`, workspace_id: s.workspace.id, type: "message.answered", visitor_id: visitor, tokens: 10, created_at: at },
      { id: `evt_pg${rand()}c`, workspace_id: s.workspace.id, type: "message.received", visitor_id: "someone-else", created_at: at },
    ]);
    env.HYPERDRIVE = env.TEST_HYPERDRIVE;
    const res = await call("DELETE", `/api/v1/visitors/${visitor}`, { token: s.access_token });
    expect(res.status).toBe(200);
    expect(res.body.analytics_events).toBe(2);
    const sql = postgres(env.TEST_HYPERDRIVE.connectionString, { max: 1, fetch_types: false });
    const rows = await sql`select visitor_id from analytics_events where workspace_id = ${s.workspace.id}`;
    expect(rows.map((r) => r.visitor_id)).toEqual(["someone-else"]);
    const audit = await sql`select action, target_id, metadata from audit_logs where workspace_id = ${s.workspace.id} and action = 'visitor.erased'`;
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(visitor);
  });

  it("refuses non-admins and malformed visitor ids", async () => {
    const s = await signUp("RightsAuth");
    const manager = await createSecretKey(s.access_token, "manager");
    expect((await call("DELETE", "/api/v1/visitors/v1", { token: manager.key })).status).toBe(403);
    expect((await call("DELETE", "/api/v1/visitors/v1")).status).toBe(401);
    for (const bad of ["a b", "x".repeat(129), "<script>", "%00", "' OR 1=1"]) {
      const res = await call("DELETE", `/api/v1/visitors/${encodeURIComponent(bad)}`, { token: s.access_token });
      expect([400, 404], bad).toContain(res.status);
    }
  });
});

describe("retention", () => {
  it("the scheduled handler erases conversations idle for longer than the workspace keeps them", async () => {
    const s = await signUp("Retention");
    const assistant = await createAssistant(s.access_token);
    const key = await createSecretKey(s.access_token, "manager");
    const start = async () =>
      (await call("POST", "/api/v1/conversations", { token: key.key, body: { assistant_id: assistant.id, visitor_id: `r-${rand()}`, channel: "api", initial_message: "Hi there" } })).body
        .conversation_id as string;
    const old = await start();
    const recent = await start();
    await env.DB.prepare("update workspaces set retention_days = 30 where id = ?").bind(s.workspace.id).run();
    const fortyDaysAgo = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await env.DB.prepare("update conversations set updated_at = ?, created_at = ? where id = ?").bind(fortyDaysAgo, fortyDaysAgo, old).run();

    // Through the Worker's own scheduled() entry point, as the cron trigger calls it.
    await worker.scheduled({ scheduledTime: Date.now(), cron: "*/15 * * * *", noRetry() {} } as ScheduledController, env);

    expect(await env.DB.prepare("select id from conversations where workspace_id = ?").bind(s.workspace.id).all().then((r) => r.results.map((x) => x.id))).toEqual([recent]);
    expect((await env.DB.prepare("select count(*) as n from messages where conversation_id = ?").bind(old).first<{ n: number }>())!.n).toBe(0);
    expect(await doRowCounts(old)).toMatchObject({ conversation: 0, messages: 0 });
    expect((await doRowCounts(recent)).conversation).toBe(1);
    const audit = await env.DB.prepare("select metadata from audit_logs where workspace_id = ? and action = 'conversations.expired'").bind(s.workspace.id).first<{ metadata: string }>();
    expect(JSON.parse(audit!.metadata)).toEqual({ conversations: 1, reason: "retention" });

    // A workspace without retention keeps everything.
    const keeper = await signUp("Keeper");
    const a2 = await createAssistant(keeper.access_token);
    const k2 = await createSecretKey(keeper.access_token, "manager");
    const ancient = (await call("POST", "/api/v1/conversations", { token: k2.key, body: { assistant_id: a2.id, visitor_id: "v", channel: "api" } })).body.conversation_id;
    await env.DB.prepare("update conversations set updated_at = '2001-01-01T00:00:00.000Z' where id = ?").bind(ancient).run();
    await runHousekeeping(env);
    expect((await doRowCounts(ancient)).conversation).toBe(1);
  });
});

describe("workspace deletion", () => {
  it("closing a workspace erases it from D1, every conversation object, R2, vectors, keyword rows, analytics and Stripe", async () => {
    env.STRIPE_SECRET_KEY = TEST_STRIPE_KEY;
    const w = await populatedWorkspace();
    const docText = `Our warranty code is WARRANTY-${rand()} for every frame.`;
    const doc = await call("POST", `/api/v1/assistants/${w.assistant.id}/documents`, { token: w.token, body: { title: "Warranty", content: docText } });
    expect(doc.status).toBe(202);
    await expect
      .poll(async () => (await call("GET", `/api/v1/documents/${doc.body.id}`, { token: w.token })).body.status, { timeout: 10_000 })
      .toBe("ready");
    const vectors = async () => (await indexRowCounts(w.assistant.id)).vectors;
    expect(await vectors()).toBeGreaterThan(0);
    const ftsHits = async () => (await indexRowCounts(w.assistant.id, docText.split(" ")[4])).fts;
    expect(await ftsHits()).toBeGreaterThan(0);
    // A live subscription, as Stripe's webhooks would have left it.
    const sub = `sub_erase${rand()}`;
    await env.DB.prepare("insert into billing_subscriptions (workspace_id, stripe_customer_id, stripe_subscription_id, plan, status, state_at) values (?, 'cus_x', ?, 'pro', 'active', 1)")
      .bind(w.ws, sub)
      .run();
    expect((await r2Keys(`ws/${w.ws}/`)).length).toBeGreaterThanOrEqual(2); // the document and the attachment

    const workspaceName = (await env.DB.prepare("select name from workspaces where id = ?").bind(w.ws).first<{ name: string }>())!.name;
    const close = await call("DELETE", "/api/v1/workspace", { token: w.token, body: { confirm_name: workspaceName } });
    expect(close.status).toBe(204);
    // Access ends at once.
    expect((await call("GET", "/api/v1/assistants", { token: w.key.key })).status).toBe(401);

    const report = await runHousekeeping(env);
    expect(report.erased_workspaces).toBeGreaterThanOrEqual(1);

    // D1: no row of any table carries the workspace id, except the record of the erasure.
    const mentions = await d1RowsMentioning(w.ws);
    expect(mentions).toEqual({ audit_logs: 1 });
    const record = await env.DB.prepare("select action, actor_type, metadata from audit_logs where workspace_id = ?").bind(w.ws).first<{ action: string; actor_type: string; metadata: string }>();
    expect(record).toMatchObject({ action: "workspace.erased", actor_type: "system" });
    expect(JSON.parse(record!.metadata)).toMatchObject({ conversations: 3, subscription_canceled: true });
    expect(await d1RowsMentioning(w.visitor)).toEqual({});
    expect(await d1RowsMentioning(w.secretWords)).toEqual({});
    // Conversation objects, files, vectors, keyword index.
    for (const id of [...w.conversations, w.kept]) {
      expect(await doRowCounts(id)).toEqual({ conversation: 0, messages: 0, stream_chunks: 0, escalations: 0, outbox: 0 });
    }
    expect(await r2Keys(`ws/${w.ws}/`)).toEqual([]);
    expect(await vectors()).toBe(0);
    expect(await ftsHits()).toBe(0);
    expect(await indexRowCounts(w.assistant.id)).toEqual({ chunks: 0, fts: 0, vectors: 0 });
    expect(await env.VECTOR_INDEX.getByName(w.assistant.id).count()).toBe(0);
    // Stripe was told to stop billing.
    const sent = (await (await fetch(`${env.STRIPE_API_BASE}/_test/requests`)).json()) as { method: string; path: string }[];
    expect(sent).toContainEqual(expect.objectContaining({ method: "DELETE", path: `/v1/subscriptions/${sub}` }));
    // Sign-in is gone with the user.
    expect((await call("POST", "/api/v1/auth/login", { body: { email: w.s.email, password: "correct horse battery staple" } })).status).toBe(401);
  });
});
