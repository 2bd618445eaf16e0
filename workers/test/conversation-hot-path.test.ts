import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConversationDO } from "../src/conversation/conversation-do";
import { handoffText } from "../src/conversation/handoff-text";
import { openSocket, startedConversation, type Event, type TestSocket } from "./conversation-helpers";
import { call } from "./helpers";

type Row = Record<string, unknown>;

/** Rows of the conversation object's own SQLite. */
function objectRows(conversationId: string, query: string): Promise<Row[]> {
  return runInDurableObject(env.CONVERSATION.getByName(conversationId), (_obj: ConversationDO, state) => state.storage.sql.exec(query).toArray() as Row[]);
}

/** The conversation's copy of its assistant's settings. */
async function configCopy(conversationId: string): Promise<{ version: string; config: string | null; loaded_at: number } | undefined> {
  return (await objectRows(conversationId, "select version, config, loaded_at from assistant_config"))[0] as never;
}

/** Sends a question over the socket and waits for the answer to it. */
async function ask(socket: TestSocket, content: string, clientId: string): Promise<{ id: string; content: string; confidence: number }> {
  const from = socket.events.length;
  socket.send({ type: "message", content, client_id: clientId });
  const ack = await socket.waitFor((e) => e.type === "ack" && e.client_id === clientId, { from });
  const answered = await socket.waitFor((e) => e.type === "response" && answerOf(e).id !== ack.message_id, { from, timeoutMs: 10_000 });
  return answerOf(answered);
}

const answerOf = (e: Event) => e.message as { id: string; content: string; confidence: number; sender_type: string };

/**
 * Flushes the object's outboxes until they are empty. Each round first makes every waiting row
 * due: the back-off after the failures a slow machine piles up can reach minutes, and how long
 * the object waits is not what these tests are about (the alarm's back-off has tests of its own).
 */
async function drainOutbox(conversationId: string): Promise<number> {
  const stub = env.CONVERSATION.getByName(conversationId);
  let remaining = await stub.flushNow();
  for (let i = 0; i < 20 && remaining > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    await objectRows(conversationId, "update outbox set next_attempt_at = 0");
    await objectRows(conversationId, "update analytics_outbox set next_attempt_at = 0");
    await runDurableObjectAlarm(stub);
    remaining = await stub.flushNow();
  }
  return remaining;
}

describe("the assistant's settings in a live conversation", () => {
  it("answers from its own copy, and an edit or a deletion reaches the next answer", async () => {
    const c = await startedConversation({ threshold: 0.2 });
    const socket = await openSocket(c.conversationId, c.token);
    const first = await ask(socket, "How long does standard shipping take?", "s-1");
    expect(first.content).toMatch(/3 to 5 business days/);
    const copy = await configCopy(c.conversationId);
    expect(copy).toMatchObject({ version: expect.any(String), config: expect.stringContaining(c.assistant.id) });

    // With the assistants table out of reach, a conversation that read D1 per message could not
    // answer: this one answers from its copy, also after an eviction.
    await env.DB.prepare("alter table assistants rename to assistants_offline").run();
    try {
      expect((await ask(socket, "How long does express shipping take?", "s-2")).content).toMatch(/next business day/);
      await evictDurableObject(env.CONVERSATION.getByName(c.conversationId));
      const again = await openSocket(c.conversationId, c.token);
      expect((await ask(again, "How long do refunds take?", "s-3")).content).toMatch(/full refund/);
      again.close();
    } finally {
      await env.DB.prepare("alter table assistants_offline rename to assistants").run();
    }
    expect(await configCopy(c.conversationId)).toEqual(copy);

    // A tighter token limit in the model policy cuts the same answer short.
    const patched = await call("PATCH", `/api/v1/assistants/${c.assistant.id}`, { token: c.session.access_token, body: { model_policy: { max_tokens: 4 } } });
    expect(patched.status).toBe(200);
    const res = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does standard shipping take?" } });
    expect(res.body.message.status).toBe("complete");
    expect(res.body.message.content.length).toBeGreaterThan(0);
    expect(res.body.message.content.length).toBeLessThan(first.content.length / 2);
    const refreshed = await configCopy(c.conversationId);
    expect(refreshed?.version).not.toBe(copy?.version);
    expect(JSON.parse(refreshed?.config ?? "{}")).toMatchObject({ model_policy: { max_tokens: 4 } });

    // A deleted assistant answers no more: the visitor gets the hand-off line.
    expect((await call("DELETE", `/api/v1/assistants/${c.assistant.id}`, { token: c.session.access_token })).status).toBe(204);
    const after = await ask(socket, "How long does standard shipping take?", "s-4");
    expect(after.content).toBe(handoffText("en"));
    expect((await configCopy(c.conversationId))?.config).toBeNull();
    socket.close();
  });
});

describe("copies out of the conversation", () => {
  it("gets every row of quick successive turns to D1 in batches once a D1 failure heals, and every event to analytics", async () => {
    const c = await startedConversation();
    const stub = env.CONVERSATION.getByName(c.conversationId);
    await stub.flushNow();
    const socket = await openSocket(c.conversationId, c.token);
    await env.DB.prepare("alter table messages rename to messages_offline").run();
    try {
      const questions = ["How long does standard shipping take?", "How long does express shipping take?", "How long do refunds take?"];
      questions.forEach((q, i) => socket.send({ type: "message", content: q, client_id: `b-${i}` }));
      const rest = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does a full battery charge take?" } });
      expect(rest.body.message.content).toMatch(/4 hours/);
      await socket.waitFor(() => socket.events.filter((e) => e.type === "response").length >= 4, { timeoutMs: 10_000 });
      await stub.flushNow();
      expect(await stub.outboxSize()).toBeGreaterThanOrEqual(8);
    } finally {
      await env.DB.prepare("alter table messages_offline rename to messages").run();
    }
    expect(await drainOutbox(c.conversationId)).toBe(0);

    const inObject = await objectRows(c.conversationId, "select id, seq, sender_type, content from messages order by seq");
    const inD1 = await env.DB.prepare("select id, seq, sender_type, content from messages where conversation_id = ? order by seq").bind(c.conversationId).all();
    expect(inObject).toHaveLength(8);
    expect(inD1.results).toEqual(inObject);
    const conv = await env.DB.prepare("select message_count from conversations where id = ?").bind(c.conversationId).first();
    expect(conv).toMatchObject({ message_count: 8 });

    // Analytics events leave in batches too; each arrives once.
    let counts: Row = {};
    for (let i = 0; i < 40; i++) {
      const rows = await env.DB.prepare("select type, count(*) as n from analytics_events where conversation_id = ? group by type").bind(c.conversationId).all();
      counts = Object.fromEntries(rows.results.map((r) => [r.type, r.n]));
      if (counts["message.answered"] === 4 && counts["message.received"] === 4) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(counts).toMatchObject({ "conversation.created": 1, "message.received": 4, "message.answered": 4 });
    expect(await objectRows(c.conversationId, "select count(*) as n from analytics_outbox")).toEqual([{ n: 0 }]);
    socket.close();
  });
});

describe("messages in quick succession", () => {
  it("answers each message sent at once over a socket and REST exactly once, in the order received", async () => {
    const c = await startedConversation();
    const sender = await openSocket(c.conversationId, c.token);
    const watcher = await openSocket(c.conversationId, c.token);
    const overSocket = ["How long does standard shipping take?", "How long do refunds take?", "Where do you ship from?"];
    overSocket.forEach((q, i) => sender.send({ type: "message", content: q, client_id: `q-${i}` }));
    const overRest = await Promise.all(
      ["How long does express shipping take?", "How long does a full battery charge take?"].map((content) =>
        call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content } }),
      ),
    );
    for (const res of overRest) expect(res.body.message).toMatchObject({ sender_type: "assistant", status: "complete" });
    const responses = () => watcher.events.filter((e) => e.type === "response").map(answerOf);
    await watcher.waitFor(() => responses().length >= 5, { timeoutMs: 15_000 });

    const rows = await objectRows(c.conversationId, "select id, seq, sender_type, reply_to, content from messages order by seq");
    const questions = rows.filter((r) => r.sender_type === "visitor");
    const answers = rows.filter((r) => r.sender_type === "assistant");
    expect(questions).toHaveLength(5);
    expect(answers).toHaveLength(5);
    // One answer per question, given in the order the questions were stored.
    expect(answers.map((a) => a.reply_to)).toEqual(questions.map((q) => q.id));
    for (const q of overSocket) expect(questions.map((r) => r.content)).toContain(q);
    expect(questions.filter((r) => overSocket.includes(r.content as string)).map((r) => r.content)).toEqual(overSocket);
    for (const res of overRest) expect(answers.map((a) => a.id)).toContain(res.body.message.id);

    // Every socket saw each answer once, its deltas adding up to it.
    for (const socket of [sender, watcher]) {
      const seen = socket.events.filter((e) => e.type === "response").map(answerOf);
      expect(seen.map((m) => m.id)).toEqual(answers.map((a) => a.id));
      for (const m of seen) {
        const deltas = socket.events.filter((e) => e.type === "delta" && e.message_id === m.id) as (Event & { delta: string; seq: number })[];
        expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i));
        expect(deltas.map((d) => d.delta).join("")).toBe(m.content);
      }
    }
    sender.close();
    watcher.close();
  });
});
