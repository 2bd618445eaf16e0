import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspaceLimiter } from "../src/limits/workspace-limiter";
import { CONVERSATION_MESSAGES_PER_MINUTE } from "../src/limits/socket-limits";
import { DEFAULT_VISITOR_CONVERSATIONS_PER_HOUR } from "../src/limits/conversation-starts";
import { MAX_CLIENT_SYSTEM_CHARS } from "../src/conversation/completions";
import { configure, fakeBase, providerLog, scenario, webhook } from "./channel-helpers";
import { openSocket, startedConversation, type Event } from "./conversation-helpers";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

const ORIGIN = "https://shop.example.com";

/** Model tokens the workspace has paid into its budget, read from its limiter's SQLite. */
async function tokensSpent(workspaceId: string): Promise<number> {
  return runInDurableObject(workspaceLimiter(env, workspaceId), (_instance, state) => {
    const row = state.storage.sql.exec<{ total: number | null }>("SELECT SUM(count) AS total FROM buckets WHERE window_key LIKE 'model|%'").one();
    return row.total ?? 0;
  });
}

/** Messages the conversation object holds, oldest first. */
async function storedMessages(token: string, conversationId: string) {
  const res = await call("GET", `/api/v1/conversations/${conversationId}/messages?limit=100`, { token });
  expect(res.status).toBe(200);
  return res.body.data as { id: string; sender_type: string; content: string; client_id: string | null; model: string | null }[];
}

/** Waits until `count` events match `pred`, or fails with what arrived. */
async function waitForCount(events: Event[], pred: (e: Event) => boolean, count: number, timeoutMs = 10_000): Promise<Event[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hits = events.filter(pred);
    if (hits.length >= count) return hits;
    if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${hits.length}: ${JSON.stringify(events.map((e) => e.type))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sets Worker variables for one test and puts the old values back after it. */
function withVars(vars: Partial<Record<keyof Env, string>>) {
  const saved = new Map<string, string | undefined>();
  const bag = env as unknown as Record<string, string | undefined>;
  beforeEach(() => {
    for (const [name, value] of Object.entries(vars)) {
      saved.set(name, bag[name]);
      bag[name] = value;
    }
  });
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete bag[name];
      else bag[name] = value;
    }
  });
}

describe("socket message limits", () => {
  it("answers only the conversation's allowance of a socket flood and refuses the rest with rate_limited frames, unstored", async () => {
    const c = await startedConversation();
    const socket = await openSocket(c.conversationId, c.token);
    const flood = 25;
    for (let i = 0; i < flood; i++) socket.send({ type: "message", content: `How long does shipping take? (${i})`, client_id: `flood-${i}` });

    const refused = await waitForCount(socket.events, (e) => e.type === "error" && e.code === "rate_limited", flood - CONVERSATION_MESSAGES_PER_MINUTE);
    for (const e of refused) {
      expect(e.retry_after).toBeGreaterThan(0);
      expect(e.window).toBe("conversation");
    }
    const answers = await waitForCount(socket.events, (e) => e.type === "response", CONVERSATION_MESSAGES_PER_MINUTE);
    expect(answers).toHaveLength(CONVERSATION_MESSAGES_PER_MINUTE);

    // Only the admitted messages were stored and answered; the refused ones left no trace.
    const stored = await storedMessages(c.session.access_token, c.conversationId);
    const visitor = stored.filter((m) => m.sender_type === "visitor");
    expect(visitor.map((m) => m.client_id)).toEqual(Array.from({ length: CONVERSATION_MESSAGES_PER_MINUTE }, (_, i) => `flood-${i}`));
    expect(stored.filter((m) => m.sender_type === "assistant")).toHaveLength(CONVERSATION_MESSAGES_PER_MINUTE);
    const refusedIds = new Set(refused.map((e) => e.client_id));
    expect(refusedIds.size).toBe(flood - CONVERSATION_MESSAGES_PER_MINUTE);
    expect(visitor.some((m) => refusedIds.has(m.client_id))).toBe(false);
    socket.close();
  });

  it("answers three quick socket messages one after another, in order, each exactly once", async () => {
    const c = await startedConversation();
    const socket = await openSocket(c.conversationId, c.token);
    const questions = ["How long does standard shipping take?", "Can I return an item for a refund?", "How should I charge the battery?"];
    questions.forEach((q, i) => socket.send({ type: "message", content: q, client_id: `quick-${i}` }));

    const responses = await waitForCount(socket.events, (e) => e.type === "response", 3);
    const contents = responses.map((e) => (e.message as { content: string }).content);
    expect(contents[0]).toMatch(/3 to 5 business days/);
    expect(contents[1]).toMatch(/30 days/);
    expect(contents[2]).toMatch(/80 percent/);

    // Never two answers streaming at once: every answer's deltas end with its response before the next starts.
    let open: string | null = null;
    for (const e of socket.events) {
      if (e.type === "delta") {
        if (open !== null) expect(e.message_id).toBe(open);
        open = e.message_id as string;
      } else if (e.type === "response") {
        const id = (e.message as { id: string }).id;
        if (open !== null) expect(id).toBe(open);
        open = null;
      }
    }
    const stored = await storedMessages(c.session.access_token, c.conversationId);
    expect(stored.filter((m) => m.sender_type === "visitor").map((m) => m.client_id)).toEqual(["quick-0", "quick-1", "quick-2"]);
    expect(stored.filter((m) => m.sender_type === "assistant").map((m) => m.id)).toEqual(responses.map((e) => (e.message as { id: string }).id));
    socket.close();
  });
});

describe("visitor limits a caller cannot reset by inventing ids", () => {
  it("counts conversation starts on the widget key and client address: invented visitor ids share one bucket", async () => {
    const c = await startedConversation();
    const start = (visitorId: string, ip: string) =>
      call("POST", "/api/v1/conversations", {
        token: c.publishableKey,
        headers: { origin: ORIGIN, "cf-connecting-ip": ip },
        body: { assistant_id: c.assistant.id, visitor_id: visitorId, channel: "web" },
      });
    for (let i = 0; i < DEFAULT_VISITOR_CONVERSATIONS_PER_HOUR; i++) {
      expect((await start(`invented-${i}`, "203.0.113.7")).status).toBe(201);
    }
    const refused = await start("yet-another-invented-id", "203.0.113.7");
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("x-ratelimit-limit")).toBe(String(DEFAULT_VISITOR_CONVERSATIONS_PER_HOUR));
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(refused.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    const rows = await env.DB.prepare("select count(*) as n from conversations where workspace_id = ? and visitor_id = ?")
      .bind(c.session.workspace.id, "yet-another-invented-id")
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    // Another address has its own bucket.
    expect((await start("someone-else", "198.51.100.4")).status).toBe(201);
  });

  describe("with a small visitor burst", () => {
    withVars({ RATE_LIMIT_VISITOR_BURST_PER_MINUTE: "5" });

    it("counts the conversation tokens a widget key hands out on that key and address, not their invented visitor ids", async () => {
      const s = await signUp("Burst");
      const assistant = await createAssistant(s.access_token, { allowed_origins: [ORIGIN] });
      const key = await call("POST", "/api/v1/api-keys", { token: s.access_token, body: { name: "w", type: "publishable", assistant_id: assistant.id } });
      const headers = { origin: ORIGIN, "cf-connecting-ip": "203.0.113.21" };
      const start = (visitorId: string) =>
        call("POST", "/api/v1/conversations", { token: key.body.key, headers, body: { assistant_id: assistant.id, visitor_id: visitorId, channel: "web" } });
      const a = await start("visitor-a"); // 1
      const b = await start("visitor-b"); // 2
      expect([a.status, b.status]).toEqual([201, 201]);
      const read = (conv: typeof a) => call("GET", `/api/v1/conversations/${conv.body.conversation_id}`, { token: conv.body.token, headers });
      expect((await read(a)).status).toBe(200); // 3
      expect((await read(b)).status).toBe(200); // 4
      expect((await read(a)).status).toBe(200); // 5
      const refused = await read(b);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).not.toBeNull();
      // Another address is another visitor.
      expect((await call("GET", `/api/v1/conversations/${b.body.conversation_id}`, { token: b.body.token, headers: { ...headers, "cf-connecting-ip": "203.0.113.22" } })).status).toBe(200);
    });
  });
});

describe("monthly model-token budget", () => {
  // A budget smaller than one answer: the first answer spends it, everything after is refused.
  // No billing in this deployment, so every workspace is metered on the enterprise row.
  withVars({ MODEL_TOKEN_BUDGET_ENTERPRISE: "40" });

  it("refuses every channel once the workspace's budget is spent, without a model call or a stored answer", async () => {
    const c = await startedConversation();
    const ws = c.session.workspace.id;
    const first = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does standard shipping take?" } });
    expect(first.status).toBe(200);
    expect(first.body.message.tokens_used).toBeGreaterThan(0);
    const spent = await tokensSpent(ws);
    expect(spent).toBeGreaterThan(40); // the offline model's tokens count too
    const before = await storedMessages(c.session.access_token, c.conversationId);

    // REST, JSON and SSE: 429 before anything is stored.
    const rest = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "And express shipping?" } });
    expect(rest.status).toBe(429);
    expect(rest.body.error).toMatchObject({ code: "rate_limited", details: { window: "model_tokens" } });
    expect(Number(rest.headers.get("retry-after"))).toBeGreaterThan(0);
    const sse = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      headers: { accept: "text/event-stream" },
      body: { content: "And express shipping?", stream: true },
    });
    expect(sse.status).toBe(429);
    expect(sse.headers.get("retry-after")).not.toBeNull();

    // The socket: an error frame, no ack, nothing stored.
    const socket = await openSocket(c.conversationId, c.token);
    socket.send({ type: "message", content: "And express shipping?", client_id: "over-budget" });
    const frame = await socket.waitFor((e) => e.type === "error");
    expect(frame).toMatchObject({ code: "rate_limited", client_id: "over-budget", window: "model_tokens" });
    expect(frame.retry_after).toBeGreaterThan(0);
    expect(socket.events.some((e) => e.type === "ack")).toBe(false);
    socket.close();

    // The OpenAI-compatible endpoint, plain and streamed.
    const key = await createSecretKey(c.session.access_token, "manager");
    for (const stream of [false, true]) {
      const completion = await call("POST", "/v1/chat/completions", {
        token: key.key,
        body: { model: c.assistant.id, stream, messages: [{ role: "user", content: "How long does shipping take?" }] },
      });
      expect(completion.status).toBe(429);
      expect(completion.body.error.code).toBe("rate_limited");
      expect(completion.headers.get("retry-after")).not.toBeNull();
    }

    expect(await storedMessages(c.session.access_token, c.conversationId)).toEqual(before);
    expect(await tokensSpent(ws)).toBe(spent);

    // Another workspace has a budget of its own.
    const other = await startedConversation();
    const answered = await call("POST", `/api/v1/conversations/${other.conversationId}/messages`, { token: other.token, body: { content: "How long does standard shipping take?" } });
    expect(answered.status).toBe(200);
  });

  it("answers an inbound email with nothing model-made once the budget is spent", async () => {
    const c = await startedConversation();
    const ws = c.session.workspace.id;
    const first = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does standard shipping take?" } });
    expect(first.status).toBe(200);
    const spent = await tokensSpent(ws);

    const scn = scenario("budget-email");
    await configure(c.session.access_token, "email", {
      config: { assistant_id: c.assistant.id, from_address: "help@acme.test", api_base_url: `${fakeBase(scn)}/sendgrid` },
      secrets: { sendgrid_api_key: CREDS.sendgridApiKey, inbound_secret: "inbound-secret-for-tests" },
    });
    const form = new FormData();
    form.set("headers", ["From: Ann <ann@customer.test>", "To: help@acme.test", "Subject: Shipping", "Message-ID: <budget.1@customer.test>"].join("\r\n"));
    form.set("from", "Ann <ann@customer.test>");
    form.set("to", "help@acme.test");
    form.set("subject", "Shipping");
    form.set("text", "How long does standard shipping take?");
    form.set("dkim", "{@customer.test : pass}");
    form.set("SPF", "pass");
    form.set("envelope", JSON.stringify({ to: ["help@acme.test"], from: "ann@customer.test" }));
    form.set("attachments", "0");
    const req = new Request("http://x.test", { method: "POST", body: form });
    const res = await webhook(`/webhooks/email?ws=${ws}&secret=inbound-secret-for-tests`, {
      body: new Uint8Array(await req.arrayBuffer()),
      headers: { "content-type": req.headers.get("content-type")! },
    });
    expect(res.status).toBe(200);

    // The conversation object settles the question as not answered; no mail goes out.
    const conversationId = await (async () => {
      for (let i = 0; i < 200; i++) {
        const row = await env.DB.prepare("select id from conversations where workspace_id = ? and channel = 'email'").bind(ws).first<{ id: string }>();
        if (row) return row.id;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("no email conversation");
    })();
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
    for (let i = 0; i < 200; i++) {
      const state = await runInDurableObject(stub, (_instance, st) =>
        st.storage.sql.exec<{ answer_state: string | null }>("SELECT answer_state FROM messages WHERE sender_type = 'visitor'").toArray(),
      );
      if (state.length === 1 && state[0]!.answer_state === "skipped") break;
      if (i === 199) throw new Error(`question not settled: ${JSON.stringify(state)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const messages = await storedMessages(c.session.access_token, conversationId);
    expect(messages.map((m) => m.sender_type)).toEqual(["visitor"]);
    expect((await providerLog(scn)).filter((r) => r.path === "/v3/mail/send")).toEqual([]);
    expect(await tokensSpent(ws)).toBe(spent);
  });
});

describe("model allow-list", () => {
  it("refuses a model_policy naming a model outside the allow-list with 400 listing the allowed ones, and changes nothing", async () => {
    const s = await signUp("Models");
    const created = await call("POST", "/api/v1/assistants", { token: s.access_token, body: { name: "Pricey", model_policy: { primary: "openai:gpt-4o" } } });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe("invalid_request");
    expect(created.body.error.details.disallowed_models).toEqual(["openai:gpt-4o"]);
    expect(created.body.error.details.allowed_models).toEqual(expect.arrayContaining(["extractive", "openai:gpt-4o-mini"]));
    expect(created.body.error.message).toContain("openai:gpt-4o-mini");
    expect((await call("GET", "/api/v1/assistants", { token: s.access_token })).body.data).toEqual([]);

    const assistant = await createAssistant(s.access_token, { model_policy: { primary: "openai:gpt-4o-mini" } });
    const patched = await call("PATCH", `/api/v1/assistants/${assistant.id}`, {
      token: s.access_token,
      body: { model_policy: { primary: "extractive", fallback: ["anthropic:claude-opus-4"], strong: "openai:*" } },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details.disallowed_models).toEqual(["anthropic:claude-opus-4", "openai:*"]);
    expect(patched.body.error.details.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(["model_policy.fallback", "model_policy.strong"]);
    const after = await call("GET", `/api/v1/assistants/${assistant.id}`, { token: s.access_token });
    expect(after.body.model_policy).toEqual({ primary: "openai:gpt-4o-mini" });
  });

  it("falls back to the default model at answer time when a stored policy names a model no longer allowed", async () => {
    const c = await startedConversation();
    await env.DB.prepare("update assistants set model_policy = ? where id = ?").bind(JSON.stringify({ primary: "openai:gpt-4o" }), c.assistant.id).run();
    const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does standard shipping take?" } });
    expect(res.status).toBe(200);
    expect(res.body.message.model).toBe("extractive");
    // No client was built for it: the OpenAI stand-in never saw that model.
    const log = (await (await fetch(`${env.LLM_FAKE_URL}/conversation-openai/log`)).json()) as { body: { model?: string } }[];
    expect(log.some((r) => r.body.model === "gpt-4o")).toBe(false);
  });
});

describe("client system text on /v1/chat/completions", () => {
  // A budget large enough never to refuse: switched on only so that spending is counted.
  withVars({ MODEL_TOKEN_BUDGET_ENTERPRISE: "100000000" });

  it("refuses system text over the bound with 400 and counts what it allows against the budget", async () => {
    const c = await startedConversation();
    const key = await createSecretKey(c.session.access_token, "manager");
    const ask = (system: string) =>
      call("POST", "/v1/chat/completions", {
        token: key.key,
        body: {
          model: c.assistant.id,
          messages: [
            { role: "system", content: system },
            { role: "user", content: "How long does standard shipping take?" },
          ],
        },
      });
    const before = await tokensSpent(c.session.workspace.id);
    const tooLong = await ask("x".repeat(MAX_CLIENT_SYSTEM_CHARS + 1));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: "invalid_request", details: { max_chars: MAX_CLIENT_SYSTEM_CHARS } });
    expect(await tokensSpent(c.session.workspace.id)).toBe(before);

    expect((await ask("Be brief.")).status).toBe(200);
    const short = (await tokensSpent(c.session.workspace.id)) - before;
    expect((await ask("word ".repeat(1_500))).status).toBe(200);
    const long = (await tokensSpent(c.session.workspace.id)) - before - short;
    expect(long - short).toBeGreaterThanOrEqual(1_500);
  });
});
