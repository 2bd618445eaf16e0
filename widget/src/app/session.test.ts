import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, RECONNECT_BASE_MS, RECONNECT_MAX_MS, SILENCE_TIMEOUT_MS } from "./transport";
import { FakeApi, FakeSocket, MemoryStorage, settle, testSession, view } from "../../test/test-support";

beforeEach(() => {
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

/** A started session with one acknowledged question, its socket open. */
async function conversing() {
  const t = testSession();
  await t.session.start();
  t.session.send("How long does delivery take?");
  await settle();
  const ws = FakeSocket.last();
  ws.accept();
  const sent = ws.frames("message")[0]!;
  ws.emit({ type: "ack", client_id: sent.client_id as string, message_id: "msg_q1" });
  return { ...t, ws, clientId: sent.client_id as string };
}

describe("the protocol client", () => {
  it("creates the conversation on the first message, connects with its token, resumes and sends with a client id", async () => {
    const { session, api } = testSession();
    await session.start();
    expect(api.calls).toHaveLength(0); // opening the widget costs the server nothing
    session.send("Hello");
    expect(session.messages.value).toMatchObject([{ sender: "visitor", content: "Hello", status: "sending" }]);
    await settle();
    expect(api.calls[0]).toMatchObject({ method: "POST", path: "/api/v1/conversations", auth: "Bearer pk_live_test", body: { assistant_id: "ast_test00000000", channel: "web" } });
    const ws = FakeSocket.last();
    expect(ws.url).toBe("ws://api.test/api/v1/conversations/conv_test0000000001/ws?token=token-1");
    ws.accept();
    expect(ws.sent[0]).toEqual({ type: "resume", after: null });
    expect(ws.sent[1]).toMatchObject({ type: "message", content: "Hello", client_id: expect.stringMatching(/^c_/) });
    ws.emit({ type: "ack", client_id: ws.sent[1]!.client_id as string, message_id: "msg_1" });
    expect(session.messages.value[0]).toMatchObject({ id: "msg_1", status: "sent" });
    expect(session.conversationId.value).toBe("conv_test0000000001");
  });

  it("streams an answer from deltas and settles it with the response, its sources and one announcement", async () => {
    const { session, ws } = await conversing();
    ws.emit({ type: "typing", sender_type: "assistant" });
    expect(session.typing.value).toBe("assistant");
    ws.emit({ type: "delta", message_id: "msg_a1", delta: "Standard delivery ", seq: 0 });
    ws.emit({ type: "delta", message_id: "msg_a1", delta: "takes 2 to 4 days [1].", seq: 1 });
    expect(session.typing.value).toBeNull();
    expect(session.streaming.value).toBe(true);
    expect(session.messages.value[1]).toMatchObject({ sender: "assistant", status: "streaming", content: "Standard delivery takes 2 to 4 days [1]." });
    expect(session.announcement.value).toBe(""); // nothing is announced token by token
    const sources = [{ document_id: "doc_1", title: "Shipping", chunk_id: "c1", score: 0.9, snippet: "2 to 4 days" }];
    ws.emit({ type: "response", message: view({ id: "msg_a1", seq: 2, sender_type: "assistant", content: "Standard delivery takes 2 to 4 days [1].", sources }) });
    await settle(1);
    expect(session.streaming.value).toBe(false);
    expect(session.messages.value[1]).toMatchObject({ status: "complete", seq: 2, sources });
    expect(session.announcement.value).toBe("assistant\u0000Standard delivery takes 2 to 4 days [1].");
  });

  it("resumes after the last message it holds in full and applies replayed deltas by sequence number, never twice", async () => {
    const { session, ws } = await conversing();
    ws.emit({ type: "message", message: view({ id: "msg_q1", seq: 1, sender_type: "visitor", content: "How long does delivery take?", client_id: session.messages.value[0]!.clientId }) });
    ws.emit({ type: "delta", message_id: "msg_a1", delta: "Standard ", seq: 0 });
    ws.emit({ type: "delta", message_id: "msg_a1", delta: "delivery ", seq: 1 });
    ws.drop(); // the network flaps mid-answer

    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2), { timeout: 2_000 });
    const again = FakeSocket.last();
    again.accept();
    expect(again.sent[0]).toEqual({ type: "resume", after: "msg_q1" });
    // The server replays the half-streamed answer from its first delta, then goes on live.
    again.emit({ type: "delta", message_id: "msg_a1", delta: "Standard ", seq: 0 });
    again.emit({ type: "delta", message_id: "msg_a1", delta: "delivery ", seq: 1 });
    again.emit({ type: "delta", message_id: "msg_a1", delta: "takes 2 to 4 days.", seq: 2 });
    expect(session.messages.value[1]!.content).toBe("Standard delivery takes 2 to 4 days.");
    again.emit({ type: "response", message: view({ id: "msg_a1", seq: 2, sender_type: "assistant", content: "Standard delivery takes 2 to 4 days." }) });
    // A late replay of a finished answer changes nothing.
    again.emit({ type: "delta", message_id: "msg_a1", delta: "Standard ", seq: 0 });
    expect(session.messages.value.map((m) => [m.sender, m.content])).toEqual([
      ["visitor", "How long does delivery take?"],
      ["assistant", "Standard delivery takes 2 to 4 days."],
    ]);
  });

  it("keeps a message queued while offline and sends it again with the same client id until acknowledged", async () => {
    const { session, ws, tab } = await conversing();
    ws.drop();
    session.send("Where is my order?");
    expect(session.messages.value[1]).toMatchObject({ status: "sending" });
    // Queued in this tab's storage: a reload would not lose it.
    expect(JSON.parse(tab.getItem("edgedesk:ast_test00000000:outbox")!)).toMatchObject([{ content: "Where is my order?" }]);

    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2), { timeout: 2_000 });
    const second = FakeSocket.last();
    second.accept();
    const first = second.frames("message")[0]!;
    expect(first).toMatchObject({ content: "Where is my order?" });
    second.drop(); // delivered, but the ack is lost with the connection

    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(3), { timeout: 3_000 });
    const third = FakeSocket.last();
    third.accept();
    const resent = third.frames("message")[0]!;
    expect(resent.client_id).toBe(first.client_id); // the server stores it once
    third.emit({ type: "ack", client_id: resent.client_id as string, message_id: "msg_q2" });
    expect(session.messages.value[1]).toMatchObject({ id: "msg_q2", status: "sent" });
    expect(tab.getItem("edgedesk:ast_test00000000:outbox")).toBeNull();
    // The replay of the same message is recognised by its client id, not added again.
    third.emit({ type: "message", message: view({ id: "msg_q2", seq: 3, sender_type: "visitor", content: "Where is my order?", client_id: resent.client_id as string }) });
    expect(session.messages.value.filter((m) => m.content === "Where is my order?")).toHaveLength(1);
  });

  it("treats a socket that stays silent after a send as dead and opens another", async () => {
    vi.useFakeTimers();
    const { session, ws } = await conversingWithFakeTimers();
    session.send("Anyone there?");
    expect(ws.frames("message")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(SILENCE_TIMEOUT_MS + 10);
    await vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("reconnects with capped, jittered exponential backoff and tells the visitor once the service seems unreachable", async () => {
    vi.useFakeTimers();
    const delays: number[] = [];
    const { session, ws } = await conversingWithFakeTimers();
    ws.drop();
    expect(session.unreachable.value).toBe(false);
    for (let attempt = 1; attempt <= 6; attempt++) {
      const before = FakeSocket.all.length;
      const started = Date.now();
      while (FakeSocket.all.length === before) await vi.advanceTimersByTimeAsync(50);
      delays.push(Date.now() - started);
      FakeSocket.last().drop(); // refused again
    }
    expect(session.unreachable.value).toBe(true);
    expect(session.link.value).toBe("down");
    // random() = 0.5: three quarters of the ceiling, which doubles per attempt.
    expect(delays.slice(0, 4)).toEqual([375, 750, 1500, 3000].map((d) => Math.ceil(d / 50) * 50));
    FakeSocket.last().drop();
    while (FakeSocket.last().readyState === 3) await vi.advanceTimersByTimeAsync(1_000);
    FakeSocket.last().accept();
    expect(session.unreachable.value).toBe(false);
  });

  it("restores the conversation from storage: the history first, then live events after its last message", async () => {
    const local = new MemoryStorage();
    local.setItem(
      "edgedesk:ast_test00000000",
      JSON.stringify({
        visitorId: "v_known",
        conversation: { id: "conv_test0000000009", token: "token-9", expiresAt: new Date(Date.now() + 3_600_000).toISOString(), wsUrl: "ws://api.test/c9/ws", visitorId: "v_known" },
      }),
    );
    const api = new FakeApi();
    api.history = [
      view({ id: "msg_1", seq: 1, sender_type: "visitor", content: "Hi" }),
      view({ id: "msg_2", seq: 2, sender_type: "assistant", content: "Hello!" }),
    ];
    const { session } = testSession({ api, local });
    await session.start();
    expect(api.calls[0]).toMatchObject({ method: "GET", path: "/api/v1/conversations/conv_test0000000009/messages?limit=100", auth: "Bearer token-9" });
    expect(session.messages.value.map((m) => m.content)).toEqual(["Hi", "Hello!"]);
    const ws = FakeSocket.last();
    ws.accept();
    expect(ws.sent[0]).toEqual({ type: "resume", after: "msg_2" });
    // Replayed history is not announced as new.
    ws.emit({ type: "response", message: view({ id: "msg_2", seq: 2, sender_type: "assistant", content: "Hello!" }) });
    await settle(1);
    expect(session.announcement.value).toBe("");
  });

  it("renews an expired token with the publishable key before connecting, and starts afresh when the conversation is gone", async () => {
    const local = new MemoryStorage();
    const stored = { id: "conv_test0000000009", token: "old", expiresAt: new Date(Date.now() - 1000).toISOString(), wsUrl: "ws://api.test/c9/ws", visitorId: "v_known" };
    local.setItem("edgedesk:ast_test00000000", JSON.stringify({ visitorId: "v_known", conversation: stored }));
    const { session, api } = testSession({ local });
    await session.start();
    expect(api.calls[0]).toMatchObject({ method: "POST", path: "/api/v1/conversations/conv_test0000000009/token", auth: "Bearer pk_live_test", body: { visitor_id: "v_known" } });
    expect(api.calls[1]).toMatchObject({ method: "GET", auth: "Bearer token-renewed" });
    expect(JSON.parse(local.getItem("edgedesk:ast_test00000000")!).conversation.token).toBe("token-renewed");

    const gone = new FakeApi();
    gone.routes.push((c) => (c.path.endsWith("/token") ? { status: 404, body: { error: { code: "not_found" } } } : undefined));
    local.setItem("edgedesk:ast_test00000000", JSON.stringify({ visitorId: "v_known", conversation: stored }));
    const fresh = testSession({ api: gone, local });
    await fresh.session.start();
    expect(fresh.session.conversationId.value).toBeNull();
    expect(JSON.parse(local.getItem("edgedesk:ast_test00000000")!).conversation).toBeNull();
  });

  it("follows another tab: a new conversation there clears this one, and its messages arrive here", async () => {
    const { session, ws, local, events } = await conversing();
    ws.emit({ type: "message", message: view({ id: "msg_other", seq: 5, sender_type: "visitor", content: "From the other tab", client_id: "c_other" }) });
    expect(session.messages.value.map((m) => m.content)).toContain("From the other tab");
    local.setItem("edgedesk:ast_test00000000", JSON.stringify({ visitorId: "v_x", conversation: null }));
    events.dispatchEvent(Object.assign(new Event("storage"), { key: "edgedesk:ast_test00000000" }));
    expect(session.messages.value).toEqual([]);
    expect(session.conversationId.value).toBeNull();
    expect(ws.readyState).toBe(3);
  });

  it("marks a message the server refuses as failed, and retries it with the same client id", async () => {
    const { session, ws } = await conversing();
    session.send("x".repeat(10));
    const sent = ws.frames("message")[1]!;
    ws.emit({ type: "error", code: "invalid_request", message: "message is longer than 4000 characters" });
    const failed = session.messages.value[1]!;
    expect(failed.status).toBe("failed");
    session.retry(failed.key);
    expect(session.messages.value[1]!.status).toBe("sending");
    expect(ws.frames("message")[2]).toMatchObject({ client_id: sent.client_id });
  });

  it("shows the hand-off: waiting for a person, then the agent's words in one announcement with their joining", async () => {
    const { session, ws } = await conversing();
    ws.emit({ type: "status", status: "active", human_takeover: false });
    ws.emit({ type: "escalation", escalation_id: "esc_1", ticket_id: null, reason: "user_request" });
    ws.emit({ type: "status", status: "escalated", human_takeover: false });
    expect(session.status.value).toBe("escalated");
    ws.emit({ type: "agent_message", message: view({ id: "msg_ag", seq: 4, sender_type: "human_agent", sender_name: "Sam", content: "Hi, Sam here." }) });
    ws.emit({ type: "status", status: "escalated", human_takeover: true });
    await settle(1);
    expect(session.takeover.value).toBe(true);
    expect(session.announcement.value).toBe("joined\u0000Hi, Sam here.");
    expect(session.messages.value.at(-1)).toMatchObject({ sender: "human_agent", content: "Hi, Sam here.", name: "Sam" });
    expect(session.agentName.value).toBe("Sam");
  });

  it("counts replies that arrive while the panel is hidden", async () => {
    const { session, ws } = await conversing();
    session.setVisible(false);
    ws.emit({ type: "response", message: view({ id: "msg_a1", seq: 2, sender_type: "assistant", content: "Answer" }) });
    ws.emit({ type: "agent_message", message: view({ id: "msg_a2", seq: 3, sender_type: "human_agent", content: "Agent" }) });
    expect(session.unread.value).toBe(2);
    session.setVisible(true);
    expect(session.unread.value).toBe(0);
  });

  it("is unavailable, without retrying, when the key or the page's origin is refused", async () => {
    const api = new FakeApi();
    api.routes.push((c) => (c.path === "/api/v1/conversations" ? { status: 403, body: { error: { code: "forbidden" } } } : undefined));
    const { session } = testSession({ api });
    await session.start();
    session.send("Hello");
    await settle();
    expect(session.unavailable.value).toBe(true);
    expect(session.messages.value[0]!.status).toBe("failed");
    expect(api.count("POST", /conversations$/)).toBe(1);
  });

  it("says politely that chat is busy when the business reached a plan limit, and retries on request", async () => {
    for (const reply of [
      { status: 402, body: { error: { code: "payment_required", message: "plan limit" } } },
      { status: 429, body: { error: { code: "rate_limited", message: "monthly quota" } }, headers: { "retry-after": "86400" } },
    ]) {
      const api = new FakeApi();
      let refuse = true;
      api.routes.push((c) => (c.path === "/api/v1/conversations" && refuse ? reply : undefined));
      const { session } = testSession({ api });
      await session.start();
      session.send("Hello");
      await settle();
      expect(session.busy.value).toBe(true);
      expect(session.messages.value[0]!.status).toBe("failed");
      expect(api.count("POST", /conversations$/)).toBe(1);
      refuse = false;
      session.retry(session.messages.value[0]!.key);
      await settle();
      expect(session.busy.value).toBe(false);
      expect(api.count("POST", /conversations$/)).toBe(2);
    }
  });

  it("marks a message the server refused as too quick failed without re-sending it, says so, and clears once the wait is over", async () => {
    const { session, ws } = await conversing();
    vi.useFakeTimers();
    session.send("Are you there?");
    const sent = ws.frames("message")[1]!;
    ws.emit({ type: "error", code: "rate_limited", message: "too many messages", client_id: sent.client_id as string, retry_after: 7, window: "conversation" });
    const refused = session.messages.value[1]!;
    expect(refused).toMatchObject({ content: "Are you there?", status: "failed" });
    expect(session.rateLimited.value).toBe("wait");
    // A reconnect does not send it again on its own: re-sending is what was refused.
    ws.drop();
    await vi.advanceTimersByTimeAsync(7_000);
    expect(session.rateLimited.value).toBeNull();
    FakeSocket.last().accept();
    expect(FakeSocket.last().frames("message")).toEqual([]);
    session.retry(refused.key);
    expect(FakeSocket.last().frames("message")).toMatchObject([{ client_id: sent.client_id }]);
  });

  it("says answers are paused when the refusal lasts long, and keeps an acknowledged message as sent", async () => {
    const { session, ws, clientId } = await conversing();
    ws.emit({ type: "error", code: "rate_limited", message: "no more answers for now", client_id: clientId, retry_after: 86_400, window: "model_tokens" });
    expect(session.rateLimited.value).toBe("later");
    expect(session.messages.value[0]).toMatchObject({ id: "msg_q1", status: "sent" });
  });

  it("sends who the visitor is with the new conversation, and a different visitor gets a fresh one", async () => {
    const { session, api, ws } = await conversing();
    session.identify({ visitor_id: "customer-42", name: "Ada", email: "ada@example.com" });
    expect(ws.readyState).toBe(3);
    expect(session.messages.value).toEqual([]);
    session.send("Hi, it's Ada");
    await settle();
    expect(api.calls.at(-1)).toMatchObject({ path: "/api/v1/conversations", body: { visitor_id: "customer-42", metadata: { name: "Ada", email: "ada@example.com" } } });
  });

  it("sends a verified user's proof with the new conversation, asks to resume theirs, and renews its token with the proof", async () => {
    const api = new FakeApi();
    // The platform resumes the user's open conversation; its token is about to expire.
    api.routes.push((call) =>
      call.method === "POST" && call.path === "/api/v1/conversations"
        ? {
            status: 200,
            body: { conversation_id: "conv_test0000000009", token: "token-v", token_expires_at: new Date(Date.now() + 30_000).toISOString(), ws_url: "ws://api.test/api/v1/conversations/conv_test0000000009/ws", status: "active", visitor_id: "user:cust-1", verified: true, resumed: true },
          }
        : undefined,
    );
    const { session, local } = testSession({ api, identity: { user_id: "cust-1", user_hash: "h1", name: "Ada" } });
    await session.start();
    session.send("Is my order on its way?");
    await settle();
    expect(api.calls[0]).toMatchObject({
      path: "/api/v1/conversations",
      body: { assistant_id: "ast_test00000000", identity: { user_id: "cust-1", user_hash: "h1" }, resume: true, metadata: { name: "Ada" } },
    });
    expect(JSON.parse(local.getItem("edgedesk:ast_test00000000")!).conversation).toMatchObject({ id: "conv_test0000000009", user: "cust-1" });
    const renewal = api.calls.find((c) => c.path.endsWith("/token"))!;
    expect(renewal).toMatchObject({ path: "/api/v1/conversations/conv_test0000000009/token", body: { identity: { user_id: "cust-1", user_hash: "h1" } } });
    expect(renewal.body).not.toHaveProperty("visitor_id");
  });

  it("never shows one user's stored conversation to another: a new user, or nobody signed in, starts afresh", async () => {
    const local = new MemoryStorage();
    const stored = { id: "conv_test0000000005", token: "t5", expiresAt: new Date(Date.now() + 7_200_000).toISOString(), wsUrl: "ws://api.test/api/v1/conversations/conv_test0000000005/ws", visitorId: "user:cust-1", user: "cust-1" };
    local.setItem("edgedesk:ast_test00000000", JSON.stringify({ visitorId: "v_device", conversation: stored }));
    // The same user, now with a token (its sub names them): the conversation is theirs.
    const same = testSession({ local, identity: { token: "e30.eyJzdWIiOiJjdXN0LTEifQ.sig" } });
    await same.session.start();
    expect(same.api.count("GET", /conv_test0000000005\/messages/)).toBe(1);
    expect(FakeSocket.last().url).toContain("conv_test0000000005");
    // identify() with another user leaves it at once and forgets it on the device.
    const ws = FakeSocket.last();
    same.session.identify({ user_id: "cust-2", user_hash: "h2" });
    expect(ws.readyState).toBe(3);
    expect(JSON.parse(local.getItem("edgedesk:ast_test00000000")!).conversation).toBeNull();
    same.session.send("Hello");
    await settle();
    expect(same.api.calls.at(-1)).toMatchObject({ path: "/api/v1/conversations", body: { identity: { user_id: "cust-2", user_hash: "h2" }, resume: true } });
    same.session.destroy();

    // The next visitor of the shared device is not signed in: nothing of cust-1's is loaded.
    local.setItem("edgedesk:ast_test00000000", JSON.stringify({ visitorId: "v_device", conversation: stored }));
    const sockets = FakeSocket.all.length;
    const anonymous = testSession({ local });
    await anonymous.session.start();
    expect(anonymous.api.calls).toHaveLength(0);
    expect(FakeSocket.all).toHaveLength(sockets);
    expect(JSON.parse(local.getItem("edgedesk:ast_test00000000")!).conversation).toBeNull();
  });

  it("asks the server to stop the answer being generated, and rates a resolved conversation once", async () => {
    const { session, ws, api, local } = await conversing();
    session.stop();
    expect(ws.frames("stop")).toHaveLength(1);
    await session.conversationCall("POST", "/satisfaction", { body: { score: 5 } });
    session.markRated();
    expect(api.calls.at(-1)).toMatchObject({ path: "/api/v1/conversations/conv_test0000000001/satisfaction", auth: "Bearer token-1", body: { score: 5 } });
    expect(JSON.parse(local.getItem("edgedesk:ast_test00000000")!).conversation.rated).toBe(true);
  });
});

describe("backoff", () => {
  it("doubles from the base up to the cap, with half of each step left to chance", () => {
    expect(backoffDelay(0, () => 0)).toBe(RECONNECT_BASE_MS / 2);
    expect(backoffDelay(0, () => 1)).toBe(RECONNECT_BASE_MS);
    expect(backoffDelay(3, () => 0.5)).toBe(RECONNECT_BASE_MS * 8 * 0.75);
    expect(backoffDelay(30, () => 1)).toBe(RECONNECT_MAX_MS);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4);
      expect(d).toBeGreaterThanOrEqual(RECONNECT_BASE_MS * 8);
      expect(d).toBeLessThanOrEqual(RECONNECT_BASE_MS * 16);
    }
  });
});

/** `conversing()` under fake timers (promises still need a nudge). */
async function conversingWithFakeTimers() {
  const t = testSession();
  await t.session.start();
  t.session.send("How long does delivery take?");
  await vi.advanceTimersByTimeAsync(0);
  const ws = FakeSocket.last();
  ws.accept();
  const sent = ws.frames("message")[0]!;
  ws.emit({ type: "ack", client_id: sent.client_id as string, message_id: "msg_q1" });
  return { ...t, ws };
}
