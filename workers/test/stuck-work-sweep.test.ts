import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { ESCALATION_SWEEP_SOURCE, STUCK_ESCALATION_TIMEOUT_MS } from "../src/channels/stuck-escalations";
import { runHousekeeping } from "../src/compliance/housekeeping";
import worker from "../src/index";
import type { IngestJob } from "../src/knowledge/documents";
import { consumeIngest } from "../src/knowledge/ingest";
import { MAX_DOCUMENT_SWEEPS, STUCK_DOCUMENT_ERROR, STUCK_DOCUMENT_TIMEOUT_MS, sweepStuckDocuments } from "../src/knowledge/stuck-documents";
import { MINUTE_MS } from "../src/lib/time";
import { configure, eventually, fakeBase, providerLog, scenario, shopWorkspace, waitForRequests } from "./channel-helpers";
import { call, createAssistant, signUp } from "./helpers";
import { indexedChunkIds } from "./knowledge-index-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS, type ProviderRequest } from "./providers-fixtures";

const realIngestQueue = env.INGEST_QUEUE;
const realOutboundQueue = env.OUTBOUND_QUEUE;

afterEach(() => {
  env.INGEST_QUEUE = realIngestQueue;
  env.OUTBOUND_QUEUE = realOutboundQueue;
  delete env.STUCK_WORK_TIMEOUT_MINUTES;
});

/** A queue that takes every message and loses it, as a `wrangler dev` reload does; `sent` keeps what it took. */
function losingQueue<Body>(): Queue<Body> & { sent: Body[] } {
  const sent: Body[] = [];
  const metrics = { backlogCount: 0, backlogBytes: 0 };
  return {
    sent,
    metrics: async () => metrics,
    send: async (body) => {
      sent.push(body);
      return { metadata: { metrics } };
    },
    sendBatch: async (messages) => {
      for (const m of messages) sent.push(m.body);
      return { metadata: { metrics } };
    },
  };
}

/** Runs the Worker's own scheduled() entry point, as the cron trigger does. */
async function cronTick(at = Date.now()): Promise<void> {
  await worker.scheduled({ scheduledTime: at, cron: "*/15 * * * *", noRetry() {} } as ScheduledController, env);
}

async function setup() {
  const s = await signUp("Sweep");
  const assistant = await createAssistant(s.access_token);
  return { workspaceId: s.workspace.id, assistantId: assistant.id, token: s.access_token as string };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Adds a manual document through the API while the ingestion queue loses its message; returns the document id. */
async function addWithLostMessage(t: Setup, title: string, content: string): Promise<string> {
  const losing = losingQueue<IngestJob>();
  env.INGEST_QUEUE = losing;
  try {
    const res = await call("POST", `/api/v1/assistants/${t.assistantId}/documents`, { token: t.token, body: { title, content } });
    expect(res.status).toBe(202);
    expect(losing.sent.map((j) => j.document_id)).toEqual([res.body.id]);
    return res.body.id as string;
  } finally {
    env.INGEST_QUEUE = realIngestQueue;
  }
}

/** Uploads a file as multipart while the ingestion queue loses its message; returns the document id. */
async function uploadWithLostMessage(t: Setup, name: string, text: string): Promise<string> {
  const losing = losingQueue<IngestJob>();
  env.INGEST_QUEUE = losing;
  try {
    const form = new FormData();
    form.append("file", new File([text], name, { type: "text/markdown" }));
    const res = await exports.default.fetch(
      new Request(`http://api.test/api/v1/assistants/${t.assistantId}/documents`, { method: "POST", headers: { Authorization: `Bearer ${t.token}` }, body: form }),
    );
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  } finally {
    env.INGEST_QUEUE = realIngestQueue;
  }
}

interface DocumentRow {
  status: string;
  error: string | null;
  chunk_count: number;
  ingest_sweeps: number;
  updated_at: string;
}

async function documentRow(id: string): Promise<DocumentRow> {
  const row = await env.DB.prepare("select status, error, chunk_count, ingest_sweeps, updated_at from kb_documents where id = ?").bind(id).first<DocumentRow>();
  if (!row) throw new Error(`no document ${id}`);
  return row;
}

/** Makes a document look as if it had waited, without progress, for `ms`. */
async function age(id: string, ms: number, status?: "queued" | "processing"): Promise<void> {
  const at = new Date(Date.now() - ms).toISOString();
  await env.DB.prepare("update kb_documents set updated_at = ?, status = coalesce(?, status) where id = ?")
    .bind(at, status ?? null, id)
    .run();
}

/** Polls a document until it leaves queued/processing (the queue consumer runs in the background). */
async function settled(token: string, id: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call("GET", `/api/v1/documents/${id}`, { token });
    if (res.body.status === "ready" || res.body.status === "failed") return res.body as { status: string; chunk_count: number; error: string | null };
    if (Date.now() > deadline) throw new Error(`document ${id} still ${res.body.status}: ${res.body.error}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Runs the ingestion consumer on several deliveries at once, each its own batch, as parallel consumer invocations would. */
async function deliverConcurrently(jobs: IngestJob[]) {
  const batches = jobs.map((job, i) => createMessageBatch<IngestJob>("edgedesk-ingest", [{ id: `m${i}`, timestamp: new Date(), attempts: 1, body: job }]));
  await Promise.all(batches.map((b) => consumeIngest(b, env)));
  return Promise.all(batches.map((b) => getQueueResult(b, createExecutionContext())));
}

describe("stuck documents", () => {
  it("sends a document stuck queued or processing to ingestion again at the next cron tick; it becomes ready and searchable", async () => {
    const t = await setup();
    const queued = await addWithLostMessage(t, "Returns", "# Returns\n\nUnworn shoes can be returned within 60 days for a full refund.");
    const processing = await addWithLostMessage(t, "Gift cards", "# Gift cards\n\nGift cards never expire and can be used online or in any store.");
    await age(queued, STUCK_DOCUMENT_TIMEOUT_MS + MINUTE_MS);
    await age(processing, STUCK_DOCUMENT_TIMEOUT_MS + MINUTE_MS, "processing");
    // Nothing will ever process them on its own.
    expect((await documentRow(queued)).status).toBe("queued");

    await cronTick();

    for (const id of [queued, processing]) {
      expect(await settled(t.token, id)).toMatchObject({ status: "ready", chunk_count: 1, error: null });
      expect((await documentRow(id)).ingest_sweeps).toBe(0);
    }
    const hits = await call("GET", `/api/v1/assistants/${t.assistantId}/search?q=${encodeURIComponent("return shoes refund days")}`, { token: t.token });
    expect(hits.body.data[0]).toMatchObject({ document_id: queued, title: "Returns" });
    const gift = await call("GET", `/api/v1/assistants/${t.assistantId}/search?q=${encodeURIComponent("do gift cards expire")}`, { token: t.token });
    expect(gift.body.data[0]).toMatchObject({ document_id: processing });
  });

  it("leaves a document younger than the timeout alone, and reads the timeout from STUCK_WORK_TIMEOUT_MINUTES", async () => {
    const t = await setup();
    const fresh = await addWithLostMessage(t, "Shipping", "Standard shipping takes 3 to 5 business days.");
    const before = await documentRow(fresh);

    const report = await runHousekeeping(env);
    expect(report.failures).toEqual([]);
    expect(await documentRow(fresh)).toEqual(before);

    // A deployment may shorten the wait: ten minutes without progress is then stuck, two are not.
    env.STUCK_WORK_TIMEOUT_MINUTES = "5";
    const older = await addWithLostMessage(t, "Warranty", "Every frame carries a lifetime warranty.");
    await age(older, 10 * MINUTE_MS);
    await age(fresh, 2 * MINUTE_MS);
    const youngBefore = await documentRow(fresh);
    const shortened = await runHousekeeping(env);
    expect(shortened.requeued_documents).toBeGreaterThanOrEqual(1);
    expect(await documentRow(fresh)).toEqual(youngBefore);
    // Its only message was lost: ready means the sweep sent it again.
    expect(await settled(t.token, older)).toMatchObject({ status: "ready" });
  });

  it("gives up on a document that keeps getting stuck: failed with an error after the last re-send", async () => {
    const t = await setup();
    const id = await addWithLostMessage(t, "Sizes", "Our shoes run true to size; half sizes are available.");
    // The queue keeps losing the document's messages, run after run.
    const losing = losingQueue<IngestJob>();
    const lossyEnv = { ...env, INGEST_QUEUE: losing };
    const step = STUCK_DOCUMENT_TIMEOUT_MS + MINUTE_MS;

    for (let run = 1; run <= MAX_DOCUMENT_SWEEPS; run += 1) {
      const report = await runHousekeeping(lossyEnv, new Date(Date.now() + run * step));
      expect(report.requeued_documents).toBeGreaterThanOrEqual(1);
      expect(await documentRow(id)).toMatchObject({ status: "queued", ingest_sweeps: run, error: null });
    }
    expect(losing.sent.filter((j) => j.document_id === id)).toHaveLength(MAX_DOCUMENT_SWEEPS);

    const last = await runHousekeeping(lossyEnv, new Date(Date.now() + (MAX_DOCUMENT_SWEEPS + 1) * step));
    expect(last.failed_stuck_documents).toBeGreaterThanOrEqual(1);
    expect(losing.sent.filter((j) => j.document_id === id)).toHaveLength(MAX_DOCUMENT_SWEEPS);
    const doc = await call("GET", `/api/v1/documents/${id}`, { token: t.token });
    expect(doc.body).toMatchObject({ status: "failed", error: STUCK_DOCUMENT_ERROR });
    expect((await documentRow(id)).ingest_sweeps).toBe(0);

    // Failed documents are not the sweep's: later runs leave it as it is.
    const after = await documentRow(id);
    await runHousekeeping(lossyEnv, new Date(Date.now() + (MAX_DOCUMENT_SWEEPS + 2) * step));
    expect(await documentRow(id)).toEqual(after);

    // Re-indexing starts it over, and with a working queue it gets through.
    expect((await call("POST", `/api/v1/documents/${id}/reindex`, { token: t.token })).status).toBe(202);
    expect(await settled(t.token, id)).toMatchObject({ status: "ready", error: null });
  });

  it("leaves the stuck documents of a closed workspace to its erasure", async () => {
    const t = await setup();
    const id = await addWithLostMessage(t, "Stores", "Our stores open at 10 on weekdays.");
    await age(id, STUCK_DOCUMENT_TIMEOUT_MS + MINUTE_MS);
    // Closed, not yet erased: re-ingesting now would write into indexes the erasure empties.
    await env.DB.prepare("update workspaces set deleted_at = ? where id = ?").bind(new Date().toISOString(), t.workspaceId).run();
    const losing = losingQueue<IngestJob>();
    const before = await documentRow(id);
    await sweepStuckDocuments({ ...env, INGEST_QUEUE: losing }, new Date());
    expect(losing.sent.filter((j) => j.document_id === id)).toEqual([]);
    expect(await documentRow(id)).toEqual(before);
  });

  it("a document sent again while its first message is still in flight ends with its chunks once", async () => {
    const t = await setup();
    const text = "# Care\n\nWipe leather shoes with a damp cloth. Let them dry away from heat.\n\n## Suede\n\nBrush suede with a soft brush.";
    const losing = losingQueue<IngestJob>();
    env.INGEST_QUEUE = losing;
    const res = await call("POST", `/api/v1/assistants/${t.assistantId}/documents`, { token: t.token, body: { title: "Care", content: text } });
    const id = res.body.id as string;
    await age(id, STUCK_DOCUMENT_TIMEOUT_MS + MINUTE_MS);
    // The first message was only slow: it is still on its way when the sweep sends another.
    const report = await runHousekeeping({ ...env, INGEST_QUEUE: losing });
    expect(report.requeued_documents).toBeGreaterThanOrEqual(1);
    env.INGEST_QUEUE = realIngestQueue;
    const [original, resent, ...more] = losing.sent.filter((j) => j.document_id === id);
    expect(original).toMatchObject({ document_id: id, workspace_id: t.workspaceId });
    expect(resent).toMatchObject({ document_id: id, workspace_id: t.workspaceId });
    expect(more).toEqual([]);

    const results = await deliverConcurrently([original!, resent!]);
    for (const r of results) expect(r.explicitAcks).toHaveLength(1);
    const doc = await documentRow(id);
    expect(doc).toMatchObject({ status: "ready", ingest_sweeps: 0 });
    const chunks = await indexedChunkIds(t.assistantId, id);
    expect(chunks).toHaveLength(doc.chunk_count);
    expect(new Set(chunks).size).toBe(chunks.length);
    const hits = await call("GET", `/api/v1/assistants/${t.assistantId}/search?q=${encodeURIComponent("suede brush")}&k=10`, { token: t.token });
    const ofDocument = hits.body.data.filter((h: { document_id: string }) => h.document_id === id);
    expect(ofDocument).toHaveLength(1);
  });

  it("two overlapping runs of a large document (indexed in parts) end with every chunk, once", { timeout: 120_000 }, async () => {
    const t = await setup();
    // Well over 500 chunks of ~512 tokens: the index receives it in staged parts.
    const sections = Array.from({ length: 700 }, (_, i) =>
      `## Topic ${i}\n\n` + Array.from({ length: 24 }, (_, j) => `Paragraph ${j} of topic ${i} explains setting number ${i * 100 + j} in plain words.`).join(" "),
    );
    const id = await uploadWithLostMessage(t, "manual.md", `# Manual\n\n${sections.join("\n\n")}`);
    const job: IngestJob = { document_id: id, workspace_id: t.workspaceId };

    let results = await deliverConcurrently([job, job]);
    // A run whose staged parts the other run's swap cleared asks to be retried; the queue delivers it again.
    for (let round = 0; results.some((r) => r.retryMessages.length > 0) && round < 3; round += 1) {
      results = await deliverConcurrently(results.flatMap((r) => r.retryMessages.map(() => job)));
    }
    expect(results.every((r) => r.retryMessages.length === 0)).toBe(true);

    const doc = await documentRow(id);
    expect(doc.status).toBe("ready");
    expect(doc.chunk_count).toBeGreaterThan(500);
    const chunks = await indexedChunkIds(t.assistantId, id);
    expect(chunks).toHaveLength(doc.chunk_count);
  });
});

const isSlack = (r: ProviderRequest) => r.provider === "slack" && r.path === "/api/chat.postMessage";

/** Asks for a person in a new conversation; returns the conversation and escalation ids once D1 holds the escalation. */
async function escalate(ws: Awaited<ReturnType<typeof shopWorkspace>>): Promise<{ conversationId: string; escalationId: string; createdAt: number }> {
  const conv = await call("POST", "/api/v1/conversations", { token: ws.token, body: { assistant_id: ws.assistant.id, visitor_id: `v-${Date.now()}`, channel: "api" } });
  const id = conv.body.conversation_id as string;
  const answer = await call("POST", `/api/v1/conversations/${id}/messages`, { token: ws.token, body: { content: "I want to talk to a human please" } });
  const escalationId = answer.body.escalation.id as string;
  const row = await eventually(async () => {
    const r = await env.DB.prepare("select created_at from escalations where id = ?").bind(escalationId).first<{ created_at: string }>();
    if (!r) throw new Error("escalation not copied to D1 yet");
    return r;
  });
  return { conversationId: id, escalationId, createdAt: Date.parse(row.created_at) };
}

async function sweepClaimed(escalationId: string): Promise<boolean> {
  const row = await env.DB.prepare("select 1 as hit from processed_events where source = ? and event_id = ?").bind(ESCALATION_SWEEP_SOURCE, escalationId).first();
  return row !== null;
}

describe("lost escalation notices", () => {
  it("sends the notice of an escalation whose outbound job was lost once, and only once", async () => {
    const ws = await shopWorkspace("LostNotice");
    const scn = scenario("lost-notice");
    await configure(ws.token, "slack", { config: { escalation_channel: "C0ESCALATE", api_base_url: `${fakeBase(scn)}/slack/api` }, secrets: { bot_token: CREDS.slackBotToken } });
    const losing = losingQueue<unknown>();
    env.OUTBOUND_QUEUE = losing;
    const e = await escalate(ws);
    env.OUTBOUND_QUEUE = realOutboundQueue;
    expect(losing.sent).toEqual([expect.objectContaining({ type: "escalation.created", escalation_id: e.escalationId })]);

    // Too recent: its job may still be on its way.
    expect((await runHousekeeping(env, new Date(e.createdAt + STUCK_ESCALATION_TIMEOUT_MS - MINUTE_MS))).requeued_escalations).toBe(0);
    expect(await sweepClaimed(e.escalationId)).toBe(false);

    const later = e.createdAt + STUCK_ESCALATION_TIMEOUT_MS + MINUTE_MS;
    expect((await runHousekeeping(env, new Date(later))).requeued_escalations).toBe(1);
    const [post] = await waitForRequests(scn, isSlack);
    expect((post!.body as { channel: string; text: string }).channel).toBe("C0ESCALATE");

    // Sent again once: the next runs leave it alone.
    expect((await runHousekeeping(env, new Date(later + 15 * MINUTE_MS))).requeued_escalations).toBe(0);
    expect((await providerLog(scn)).filter(isSlack)).toHaveLength(1);
  });

  it("writes the HubSpot note of a lost escalation once when HubSpot is the workspace's only target, and leaves a noted one alone", async () => {
    const ws = await shopWorkspace("LostCrmNote");
    const token = `pat-na1-${crypto.randomUUID()}`;
    await configure(ws.token, "hubspot", { config: { api_base_url: `${env.HUBSPOT_FAKE_URL}/ok` }, secrets: { access_token: token } });
    const notes = async () => ((await (await fetch(`${env.HUBSPOT_FAKE_URL}/_portal/${token}`)).json()) as { notes: { properties: { hs_note_body: string } }[] }).notes;
    const escalateWithEmail = async (email: string) => {
      const conv = await call("POST", "/api/v1/conversations", {
        token: ws.token,
        body: { assistant_id: ws.assistant.id, visitor_id: `v-${crypto.randomUUID().slice(0, 8)}`, channel: "api", metadata: { email } },
      });
      const answer = await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/messages`, { token: ws.token, body: { content: "I want to talk to a human please" } });
      const escalationId = answer.body.escalation.id as string;
      const row = await eventually(async () => {
        const r = await env.DB.prepare("select created_at from escalations where id = ?").bind(escalationId).first<{ created_at: string }>();
        if (!r) throw new Error("escalation not copied to D1 yet");
        return r;
      });
      return { escalationId, createdAt: Date.parse(row.created_at) };
    };

    // Delivered as usual: its note is the mark.
    const noted = await escalateWithEmail("noted@example.com");
    await eventually(async () => expect(await notes()).toHaveLength(1), 20_000);
    // Lost on its way to the queue.
    env.OUTBOUND_QUEUE = losingQueue<unknown>();
    const lost = await escalateWithEmail("lost@example.com");
    env.OUTBOUND_QUEUE = realOutboundQueue;

    const later = Math.max(noted.createdAt, lost.createdAt) + STUCK_ESCALATION_TIMEOUT_MS + MINUTE_MS;
    expect((await runHousekeeping(env, new Date(later))).requeued_escalations).toBe(1);
    expect(await sweepClaimed(noted.escalationId)).toBe(false);
    expect(await sweepClaimed(lost.escalationId)).toBe(true);
    await eventually(async () => expect(await notes()).toHaveLength(2), 20_000);
    expect((await notes()).every((n) => n.properties.hs_note_body.includes("Support conversation escalated to the team"))).toBe(true);
    expect((await runHousekeeping(env, new Date(later + 15 * MINUTE_MS))).requeued_escalations).toBe(0);
    expect(await notes()).toHaveLength(2);
  });

  it("leaves alone an escalation whose notice went out, and workspaces with nowhere to send one", async () => {
    const ws = await shopWorkspace("Delivered");
    const scn = scenario("delivered-notice");
    await configure(ws.token, "slack", { config: { escalation_channel: "C0ESCALATE", api_base_url: `${fakeBase(scn)}/slack/api` }, secrets: { bot_token: CREDS.slackBotToken } });
    const delivered = await escalate(ws);
    await waitForRequests(scn, isSlack);
    // Delivery records the post right after making it.
    await eventually(async () => {
      const sent = await env.DB.prepare("select 1 as hit from processed_events where source = 'escalation-slack' and event_id = ?").bind(delivered.escalationId).first();
      if (!sent) throw new Error("Slack post not recorded yet");
    });

    const quiet = await shopWorkspace("NoTargets");
    env.OUTBOUND_QUEUE = losingQueue<unknown>();
    const unnotifiable = await escalate(quiet);
    env.OUTBOUND_QUEUE = realOutboundQueue;

    const later = Math.max(delivered.createdAt, unnotifiable.createdAt) + STUCK_ESCALATION_TIMEOUT_MS + MINUTE_MS;
    await runHousekeeping(env, new Date(later));
    expect(await sweepClaimed(delivered.escalationId)).toBe(false);
    expect(await sweepClaimed(unnotifiable.escalationId)).toBe(false);
    expect((await providerLog(scn)).filter(isSlack)).toHaveLength(1);
  });
});
