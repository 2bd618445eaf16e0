import { env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signConversationToken } from "../src/auth/tokens";
import { openSocket, startedConversation, type Event } from "./conversation-helpers";
import { call, createSecretKey, signUp } from "./helpers";

/** Parses an SSE body into events. */
function parseSse(text: string): { event: string; data: unknown }[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim() ?? "message";
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      return { event, data: JSON.parse(data) };
    });
}

describe("conversations over REST", () => {
  it("answers a question from the knowledge base with cited sources", async () => {
    const c = await startedConversation();
    expect(c.created).toMatchObject({ status: "active", ws_url: expect.stringMatching(/^ws:\/\/api\.test\/api\/v1\/conversations\/conv_.+\/ws$/) });
    const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "How long does standard shipping take?" },
    });
    expect(res.status).toBe(200);
    const m = res.body.message;
    expect(m.sender_type).toBe("assistant");
    expect(m.content).toMatch(/3 to 5 business days/);
    expect(m.sources[0]).toMatchObject({ title: "Shipping times", document_id: expect.stringMatching(/^doc_/), chunk_id: expect.any(String) });
    expect(m.confidence).toBeGreaterThan(0.5);
    expect(m.latency_ms).toBeGreaterThanOrEqual(0);
    expect(m.tokens_used).toBeGreaterThan(0);
    expect(res.body.escalation).toBeNull();

    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data.map((x: { sender_type: string }) => x.sender_type)).toEqual(["visitor", "assistant"]);
    expect(history.body.data[0].content).toBe("How long does standard shipping take?");
  });

  it("streams the answer as SSE: deltas in order, then the full response", async () => {
    const c = await startedConversation();
    const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "How long does a full battery charge take?", stream: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = parseSse(res.body as string);
    const deltas = events.filter((e) => e.event === "delta").map((e) => e.data as { seq: number; delta: string });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i));
    const response = events.find((e) => e.event === "response")!.data as { content: string };
    expect(deltas.map((d) => d.delta).join("")).toBe(response.content);
    expect(response.content).toMatch(/4 hours/);
  });

  it("answers a re-sent client_id once", async () => {
    const c = await startedConversation();
    const send = () =>
      call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
        token: c.token,
        body: { content: "What is your refund policy?", client_id: "tab1-0001" },
      });
    const first = await send();
    const second = await send();
    expect(second.body.message.id).toBe(first.body.message.id);
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data).toHaveLength(2);
  });

  it("paginates history with cursors, oldest first", async () => {
    const c = await startedConversation();
    for (const q of ["Shipping times?", "Refund policy?", "Battery storage in winter?"]) {
      await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: q } });
    }
    const p1 = await call("GET", `/api/v1/conversations/${c.conversationId}/messages?limit=4`, { token: c.token });
    expect(p1.body.data).toHaveLength(4);
    const p2 = await call("GET", `/api/v1/conversations/${c.conversationId}/messages?limit=4&cursor=${p1.body.next_cursor}`, {
      token: c.token,
    });
    expect(p2.body.data).toHaveLength(2);
    expect(p2.body.next_cursor).toBeNull();
    const seqs = [...p1.body.data, ...p2.body.data].map((m: { seq: number }) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("refuses messages over 4,000 characters and empty ones, storing nothing", async () => {
    const c = await startedConversation();
    const long = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "a".repeat(4_001) },
    });
    expect(long.status).toBe(400);
    const empty = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "\u0000\u200b  \n" },
    });
    expect(empty.status).toBe(400);
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data).toHaveLength(0);
  });

  it("escalates when the visitor asks for a person, in several phrasings", async () => {
    for (const phrase of ["can I talk to a person?", "I want to speak with a real human", "Quiero hablar con una persona", "agent please"]) {
      const c = await startedConversation();
      const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: phrase } });
      expect(res.status, phrase).toBe(200);
      expect(res.body.escalation, phrase).toMatchObject({ reason: "user_request", status: "open", id: expect.stringMatching(/^esc_/) });
      const conv = await call("GET", `/api/v1/conversations/${c.conversationId}`, { token: c.token });
      expect(conv.body.status).toBe("escalated");
    }
  });

  it("escalates with no_match when nothing relevant is known, and says so plainly", async () => {
    const c = await startedConversation();
    const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "Do you sell replacement saddles for tandem bicycles?" },
    });
    expect(res.body.message.content).toMatch(/couldn't find/i);
    expect(res.body.message.sources).toEqual([]);
    expect(res.body.escalation).toMatchObject({ reason: "no_match" });
  });

  it("writes the conversation, messages and escalation to D1 through the outbox", async () => {
    const c = await startedConversation();
    await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "talk to a human please" } });
    const stub = env.CONVERSATION.getByName(c.conversationId);
    expect(await stub.flushNow()).toBe(0);
    const conv = await env.DB.prepare("select status, message_count from conversations where id = ?").bind(c.conversationId).first();
    expect(conv).toMatchObject({ status: "escalated", message_count: 2 });
    const esc = await env.DB.prepare("select reason from escalations where conversation_id = ?").bind(c.conversationId).first();
    expect(esc).toMatchObject({ reason: "user_request" });
  });

  it("keeps every message when D1 fails, and copies them once D1 is back", async () => {
    const c = await startedConversation();
    const stub = env.CONVERSATION.getByName(c.conversationId);
    await stub.flushNow();
    await env.DB.prepare("alter table messages rename to messages_offline").run();
    try {
      const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
        token: c.token,
        body: { content: "How long does express shipping take?" },
      });
      expect(res.status).toBe(200);
      expect(res.body.message.content).toMatch(/next business day/);
      await stub.flushNow();
      expect(await stub.outboxSize()).toBeGreaterThan(0);
    } finally {
      await env.DB.prepare("alter table messages_offline rename to messages").run();
    }
    // The alarm retries the outbox with a backoff: run it as it comes due.
    let remaining = await stub.outboxSize();
    for (let i = 0; i < 20 && remaining > 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await runDurableObjectAlarm(stub);
      remaining = await stub.outboxSize();
    }
    expect(remaining).toBe(0);
    const rows = await env.DB.prepare("select sender_type from messages where conversation_id = ? order by seq").bind(c.conversationId).all();
    expect(rows.results.map((r) => r.sender_type)).toEqual(["visitor", "assistant"]);
  });

  it("lets an agent take over: the AI stays silent until handed back", async () => {
    const c = await startedConversation();
    const agent = await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, {
      token: c.session.access_token,
      body: { content: "Hi, this is Sam from support. How can I help?" },
    });
    expect(agent.status).toBe(201);
    // No display name set: the visitor sees "Support agent", never the agent's email.
    expect(agent.body).toMatchObject({ sender_type: "human_agent", sender_id: c.session.user.id, sender_name: null });

    const quiet = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "How long does shipping take?" },
    });
    expect(quiet.body).toMatchObject({ message: null, human_takeover: true });

    const back = await call("POST", `/api/v1/conversations/${c.conversationId}/handback`, { token: c.session.access_token });
    expect(back.body.human_takeover).toBe(false);
    const answered = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, {
      token: c.token,
      body: { content: "How long does shipping take?" },
    });
    expect(answered.body.message.sender_type).toBe("assistant");
  });

  it("resolves and records satisfaction", async () => {
    const c = await startedConversation();
    const resolved = await call("POST", `/api/v1/conversations/${c.conversationId}/resolve`, { token: c.token });
    expect(resolved.body.status).toBe("resolved");
    const rated = await call("POST", `/api/v1/conversations/${c.conversationId}/satisfaction`, {
      token: c.token,
      body: { score: 5, comment: "quick and clear" },
    });
    expect(rated.body.satisfaction_score).toBe(5);
    const bad = await call("POST", `/api/v1/conversations/${c.conversationId}/satisfaction`, { token: c.token, body: { score: 6 } });
    expect(bad.status).toBe(400);
  });

  it("keeps conversations private: other visitors and other workspaces get 404", async () => {
    const c = await startedConversation();
    const other = await startedConversation();
    expect((await call("GET", `/api/v1/conversations/${c.conversationId}`, { token: other.token })).status).toBe(404);
    expect((await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: other.session.access_token })).status).toBe(404);
    const stranger = await signUp("Stranger");
    const key = await createSecretKey(stranger.access_token, "admin");
    for (const [method, path, body] of [
      ["GET", `/api/v1/conversations/${c.conversationId}`, undefined],
      ["POST", `/api/v1/conversations/${c.conversationId}/messages`, { content: "hi" }],
      ["POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { content: "hi" }],
      ["POST", `/api/v1/conversations/${c.conversationId}/resolve`, undefined],
      ["POST", `/api/v1/conversations/${c.conversationId}/escalate`, { reason: "user_request" }],
    ] as const) {
      const res = await call(method, path, { token: key.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await call("GET", "/api/v1/conversations", { token: key.key });
    expect(list.body.data).toEqual([]);
  });

  it("lists the workspace's conversations with filters", async () => {
    const c = await startedConversation();
    await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "human please" } });
    await env.CONVERSATION.getByName(c.conversationId).flushNow();
    const escalated = await call("GET", "/api/v1/conversations?status=escalated", { token: c.session.access_token });
    expect(escalated.body.data.map((x: { id: string }) => x.id)).toEqual([c.conversationId]);
    const active = await call("GET", "/api/v1/conversations?status=active", { token: c.session.access_token });
    expect(active.body.data).toEqual([]);
  });
});

describe("conversations over WebSockets", () => {
  it("fans every delta out, in order, to two sockets, and acks the sender", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    const b = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "How should I store the battery in winter?", client_id: "a-1" });
    const ack = await a.waitFor((e) => e.type === "ack");
    expect(ack).toMatchObject({ client_id: "a-1", message_id: expect.stringMatching(/^msg_/) });
    const echoed = await b.waitFor((e) => e.type === "message");
    expect((echoed.message as { content: string }).content).toMatch(/battery/);
    const ra = await a.waitFor((e) => e.type === "response");
    const rb = await b.waitFor((e) => e.type === "response");
    for (const s of [a, b]) {
      const deltas = s.events.filter((e) => e.type === "delta") as (Event & { seq: number; delta: string })[];
      expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i));
      expect(deltas.map((d) => d.delta).join("")).toBe((ra.message as { content: string }).content);
    }
    expect(rb).toEqual(ra);
    expect((ra.message as { content: string }).content).toMatch(/indoors/);
    a.close();
    b.close();
  });

  it("answers a ping frame with a pong (auto-response, without waking the object)", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    const pong = new Promise<string>((resolve) => a.ws.addEventListener("message", (m) => m.data === '{"type":"pong"}' && resolve(m.data as string)));
    a.ws.send('{"type":"ping"}');
    expect(await pong).toBe('{"type":"pong"}');
    a.close();
  });

  it("answers a duplicate client_id once", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "Refund policy?", client_id: "dup-1" });
    await a.waitFor((e) => e.type === "response");
    const mark = a.events.length;
    a.send({ type: "message", content: "Refund policy?", client_id: "dup-1" });
    const ack = await a.waitFor((e) => e.type === "ack", { from: mark });
    expect(ack.message_id).toBe((a.events.find((e) => e.type === "ack") as Event).message_id);
    await new Promise((r) => setTimeout(r, 200));
    expect(a.events.slice(mark).filter((e) => e.type === "response")).toHaveLength(0);
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data).toHaveLength(2);
    a.close();
  });

  it("answers bad frames with an error and keeps every socket working", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    const b = await openSocket(c.conversationId, c.token);
    a.send("{not json");
    await a.waitFor((e) => e.type === "error" && e.code === "invalid_frame");
    a.send({ type: "explode" });
    await a.waitFor((e) => e.type === "error" && e.code === "invalid_frame", { from: 2 });
    a.send({ type: "message", content: "x".repeat(40_000) });
    await a.waitFor((e) => e.type === "error" && e.code === "frame_too_large");
    a.send({ type: "message", content: "y".repeat(4_500) });
    await a.waitFor((e) => e.type === "error" && e.code === "invalid_request");
    expect(b.events.filter((e) => e.type === "error")).toHaveLength(0);

    b.send({ type: "message", content: "How long does express shipping take?" });
    await a.waitFor((e) => e.type === "response");
    await b.waitFor((e) => e.type === "response");
    a.close();
    b.close();
  });

  it("replays what a socket missed on resume", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "Refund policy?" });
    const first = await a.waitFor((e) => e.type === "response");
    a.send({ type: "message", content: "Express shipping?" });
    await a.waitFor((e) => e.type === "response" && e !== first);
    const firstId = (first.message as { id: string }).id;

    const late = await openSocket(c.conversationId, c.token);
    late.send({ type: "resume", after: firstId });
    const replayed = await late.waitFor((e) => e.type === "response");
    expect((replayed.message as { content: string }).content).toMatch(/next business day/);
    const visitor = late.events.find((e) => e.type === "message") as Event;
    expect((visitor.message as { content: string }).content).toBe("Express shipping?");
    a.close();
    late.close();
  });

  it("loses nothing when the object is evicted between messages; sockets keep working", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "Refund policy?", client_id: "e-1" });
    await a.waitFor((e) => e.type === "response");
    await evictDurableObject(env.CONVERSATION.getByName(c.conversationId));
    const mark = a.events.length;
    a.send({ type: "message", content: "How long does a full charge take?", client_id: "e-2" });
    const after = await a.waitFor((e) => e.type === "response", { from: mark });
    expect((after.message as { content: string }).content).toMatch(/4 hours/);
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data).toHaveLength(4);
    a.close();
  });

  it("escalates on 'can I talk to a person' and tells every socket", async () => {
    const c = await startedConversation();
    const a = await openSocket(c.conversationId, c.token);
    const b = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "can I talk to a person" });
    const esc = await b.waitFor((e) => e.type === "escalation");
    expect(esc).toMatchObject({ escalation_id: expect.stringMatching(/^esc_/), ticket_id: null, reason: "user_request" });
    await b.waitFor((e) => e.type === "status" && e.status === "escalated");
    a.close();
    b.close();
  });

  it("refuses a missing, wrong, expired or foreign token", async () => {
    const c = await startedConversation();
    const other = await startedConversation();
    const tryOpen = (token: string) =>
      call("GET", `/api/v1/conversations/${c.conversationId}/ws?token=${encodeURIComponent(token)}`, { headers: { Upgrade: "websocket" } });
    expect((await tryOpen("")).status).toBe(401);
    expect((await tryOpen("not-a-token")).status).toBe(401);
    expect((await tryOpen(other.token)).status).toBe(404);
    const expired = await signConversationToken(
      env,
      { conversationId: c.conversationId, workspaceId: c.session.workspace.id, assistantId: c.assistant.id, visitorId: "visitor-1", role: "visitor", agentId: null },
      -60_000,
    );
    expect((await tryOpen(expired.token)).status).toBe(401);
    expect((await tryOpen(c.session.access_token)).status).toBe(401);
    const noUpgrade = await call("GET", `/api/v1/conversations/${c.conversationId}/ws?token=${c.token}`);
    expect(noUpgrade.status).toBe(400);
  });

  it("lets an agent join with an agent token; their reply reaches the visitor", async () => {
    const c = await startedConversation();
    const visitor = await openSocket(c.conversationId, c.token);
    await env.DB.prepare("update users set name = 'Sam Rivera' where id = ?").bind(c.session.user.id).run();
    const tok = await call("POST", `/api/v1/conversations/${c.conversationId}/token`, { token: c.session.access_token, body: {} });
    expect(tok.status).toBe(200);
    const agent = await openSocket(c.conversationId, tok.body.token);
    visitor.send({ type: "typing" });
    await agent.waitFor((e) => e.type === "typing" && e.sender_type === "visitor");
    agent.send({ type: "message", content: "Hello, Sam here.", client_id: "ag-1" });
    const msg = await visitor.waitFor((e) => e.type === "agent_message");
    expect(msg.message).toMatchObject({ sender_type: "human_agent", content: "Hello, Sam here.", sender_name: "Sam Rivera" });
    await visitor.waitFor((e) => e.type === "status" && e.human_takeover === true);
    expect(visitor.events.filter((e) => e.type === "typing" && e.sender_type === "visitor")).toHaveLength(0);
    visitor.close();
    agent.close();
  });
});
