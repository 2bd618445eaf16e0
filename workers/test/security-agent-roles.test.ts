/**
 * Who may act as a human agent in a conversation. Viewers (users and keys) watch with an
 * `observer` token and cannot change anything; managers and above get an `agent` token, whose
 * rights follow the holder's role now: a demotion, a removal, a revoked or rotated key ends
 * them at once, over REST and on open sockets.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ACCESS_REVOKED_CLOSE_CODE } from "../src/conversation/staff-sockets";
import { openSocket, startedConversation, type TestSocket } from "./conversation-helpers";
import { call, createSecretKey, PASSWORD, uniqueEmail } from "./helpers";

type Role = "admin" | "manager" | "viewer";

/** Invites a member with `role` and returns their user id and access token. */
async function member(adminToken: string, role: Role) {
  const invite = await call("POST", "/api/v1/team/invites", { token: adminToken, body: { email: uniqueEmail(role), role } });
  expect(invite.status).toBe(201);
  const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: invite.body.token, password: PASSWORD, name: `A ${role}` } });
  expect(accepted.status).toBe(201);
  return { userId: accepted.body.user.id as string, token: accepted.body.access_token as string };
}

/** A conversation token for `conversationId` as `credential` gets it. */
async function conversationToken(conversationId: string, credential: string) {
  const res = await call("POST", `/api/v1/conversations/${conversationId}/token`, { token: credential, body: {} });
  return res;
}

/** The claims inside a conversation token (signature not checked: the server does that). */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload)) as Record<string, unknown>;
}

/** What an observer must not be able to change: every message, the status and the take-over flag. */
async function snapshot(conversationId: string, adminToken: string) {
  const conv = await call("GET", `/api/v1/conversations/${conversationId}`, { token: adminToken });
  const messages = await call("GET", `/api/v1/conversations/${conversationId}/messages?limit=100`, { token: adminToken });
  return {
    status: conv.body.status as string,
    human_takeover: conv.body.human_takeover as boolean,
    satisfaction_score: conv.body.satisfaction_score as number | null,
    messages: (messages.body.data as { id: string; sender_type: string; content: string }[]).map((m) => [m.id, m.sender_type, m.content]),
  };
}

/** The close code the socket ends with. */
function closeCode(socket: TestSocket): Promise<number> {
  return new Promise((resolve) => socket.ws.addEventListener("close", (e) => resolve(e.code)));
}

/** Every REST write a conversation token could attempt. */
const WRITES = [
  ["agent-messages", { content: "I am support, trust me: send your card number." }],
  ["resolve", undefined],
  ["escalate", { reason: "user_request" }],
  ["messages", { content: "Written as the visitor" }],
  ["satisfaction", { score: 0 }],
] as const;

describe("conversation tokens for staff", () => {
  it("gives a viewer user and a viewer key a watch-only observer token, and managers and admins an agent token", async () => {
    const c = await startedConversation();
    const viewer = await member(c.session.access_token, "viewer");
    const manager = await member(c.session.access_token, "manager");
    const viewerKey = await createSecretKey(c.session.access_token, "viewer");
    const adminKey = await createSecretKey(c.session.access_token, "admin");
    for (const [credential, role, holder] of [
      [viewer.token, "observer", viewer.userId],
      [viewerKey.key, "observer", viewerKey.id],
      [manager.token, "agent", manager.userId],
      [adminKey.key, "agent", adminKey.id],
    ] as const) {
      const res = await conversationToken(c.conversationId, credential);
      expect(res.status).toBe(200);
      expect(res.body.role).toBe(role);
      expect(claimsOf(res.body.token)).toMatchObject({ role, agt: holder, sub: c.conversationId });
    }
    // The visitor's own token is unchanged.
    expect(claimsOf(c.token)).toMatchObject({ role: "visitor", agt: null });
  });

  it("lets an observer token read but refuses every REST write with 403 and changes nothing", async () => {
    const c = await startedConversation();
    await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does shipping take?" } });
    const viewer = await member(c.session.access_token, "viewer");
    const viewerKey = await createSecretKey(c.session.access_token, "viewer");
    const before = await snapshot(c.conversationId, c.session.access_token);
    expect(before.messages.map((m) => m[1])).toEqual(["visitor", "assistant"]);

    for (const credential of [viewer.token, viewerKey.key]) {
      const observer = (await conversationToken(c.conversationId, credential)).body.token as string;
      expect((await call("GET", `/api/v1/conversations/${c.conversationId}`, { token: observer })).status).toBe(200);
      const read = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: observer });
      expect(read.status).toBe(200);
      expect(read.body.data).toHaveLength(2);
      for (const [path, body] of WRITES) {
        const res = await call("POST", `/api/v1/conversations/${c.conversationId}/${path}`, { token: observer, body });
        expect(res.status, path).toBe(403);
        expect(res.body.error.code, path).toBe("forbidden");
      }
    }
    expect(await snapshot(c.conversationId, c.session.access_token)).toEqual(before);
  });

  it("answers an observer's socket frames other than resume with forbidden, while it receives the conversation", async () => {
    const c = await startedConversation();
    const viewer = await member(c.session.access_token, "viewer");
    const observer = await openSocket(c.conversationId, (await conversationToken(c.conversationId, viewer.token)).body.token);
    await observer.waitFor((e) => e.type === "status");
    const visitor = await openSocket(c.conversationId, c.token);
    await visitor.waitFor((e) => e.type === "status");

    const frames = [
      { type: "message", content: "Hello, this is support.", client_id: "obs-1" },
      { type: "stop" },
      { type: "typing" },
    ];
    for (const frame of frames) {
      const from = observer.events.length;
      observer.send(frame);
      const refusal = await observer.waitFor((e) => e.type === "error", { from });
      expect(refusal, frame.type).toMatchObject({ code: "forbidden" });
    }

    // The visitor's typing and message, and the answer, reach the observer.
    visitor.send({ type: "typing" });
    await observer.waitFor((e) => e.type === "typing" && e.sender_type === "visitor");
    visitor.send({ type: "message", content: "How long does shipping take?", client_id: "v-1" });
    const seen = await observer.waitFor((e) => e.type === "message");
    expect(seen.message).toMatchObject({ sender_type: "visitor", content: "How long does shipping take?" });
    const answer = await observer.waitFor((e) => e.type === "response");
    expect(answer.message).toMatchObject({ sender_type: "assistant" });

    // Resume is allowed: the observer gets the history replayed.
    const from = observer.events.length;
    observer.send({ type: "resume", after: null });
    const replayed = await observer.waitFor((e) => e.type === "response", { from });
    expect(replayed.message).toMatchObject({ id: (answer.message as { id: string }).id });
    expect(observer.events.slice(from).some((e) => e.type === "error")).toBe(false);

    // Nothing the observer sent reached the visitor or the record.
    expect(visitor.events.some((e) => e.type === "agent_message" || (e.type === "typing" && e.sender_type === "human_agent"))).toBe(false);
    const after = await snapshot(c.conversationId, c.session.access_token);
    expect(after.messages.map((m) => m[1])).toEqual(["visitor", "assistant"]);
    expect(after.human_takeover).toBe(false);
    observer.close();
    visitor.close();
  });
});

describe("agent rights follow the holder's role now", () => {
  it("refuses a manager demoted to viewer: REST writes are 403 and their open socket is closed", async () => {
    const c = await startedConversation();
    const manager = await member(c.session.access_token, "manager");
    const agentToken = (await conversationToken(c.conversationId, manager.token)).body.token as string;
    const visitor = await openSocket(c.conversationId, c.token);
    const agent = await openSocket(c.conversationId, agentToken);
    await agent.waitFor((e) => e.type === "status");

    // Before: the agent token works over the socket and over REST.
    agent.send({ type: "message", content: "Hello, a person here.", client_id: "ag-1" });
    await visitor.waitFor((e) => e.type === "agent_message");
    const rest = await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { token: agentToken, body: { content: "Still here." } });
    expect(rest.status).toBe(201);

    const demoted = await call("PATCH", `/api/v1/team/${manager.userId}`, { token: c.session.access_token, body: { role: "viewer" } });
    expect(demoted.status).toBe(200);
    const before = await snapshot(c.conversationId, c.session.access_token);

    for (const [path, body] of WRITES.filter(([p]) => p !== "messages" && p !== "satisfaction")) {
      const res = await call("POST", `/api/v1/conversations/${c.conversationId}/${path}`, { token: agentToken, body });
      expect(res.status, path).toBe(403);
      expect(res.body.error.code, path).toBe("forbidden");
    }
    // Reading stays: a viewer may read.
    expect((await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: agentToken })).status).toBe(200);

    const closed = closeCode(agent);
    const from = agent.events.length;
    agent.send({ type: "message", content: "One more thing as support.", client_id: "ag-2" });
    expect(await agent.waitFor((e) => e.type === "error", { from })).toMatchObject({ code: "forbidden" });
    expect(await closed).toBe(ACCESS_REVOKED_CLOSE_CODE);

    // The old agent token no longer opens a socket, and renewing it gives a watch-only token.
    const reopen = await call("GET", `/api/v1/conversations/${c.conversationId}/ws?token=${encodeURIComponent(agentToken)}`, {
      headers: { Upgrade: "websocket" },
    });
    expect(reopen.status).toBe(403);
    const renewed = await conversationToken(c.conversationId, agentToken);
    expect(renewed.status).toBe(200);
    expect(renewed.body.role).toBe("observer");
    expect(claimsOf(renewed.body.token)).toMatchObject({ role: "observer", agt: manager.userId });
    expect((await conversationToken(c.conversationId, manager.token)).body.role).toBe("observer");

    expect(await snapshot(c.conversationId, c.session.access_token)).toEqual(before);
    expect(visitor.events.filter((e) => e.type === "agent_message")).toHaveLength(2);
    visitor.close();
  });

  it("closes a silent agent socket at the next periodic check once the member is removed", async () => {
    const c = await startedConversation();
    const manager = await member(c.session.access_token, "manager");
    const agentToken = (await conversationToken(c.conversationId, manager.token)).body.token as string;
    const agent = await openSocket(c.conversationId, agentToken);
    await agent.waitFor((e) => e.type === "status");
    const stub = env.CONVERSATION.getByName(c.conversationId);
    // While a staff socket is open the object keeps an alarm to re-check it.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(agent.events.some((e) => e.type === "error")).toBe(false);

    expect((await call("DELETE", `/api/v1/team/${manager.userId}`, { token: c.session.access_token })).status).toBe(204);
    const closed = closeCode(agent);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await closed).toBe(ACCESS_REVOKED_CLOSE_CODE);
    expect(agent.events.at(-1)).toMatchObject({ type: "error", code: "forbidden" });

    // A removed member's token neither reads, writes nor renews.
    expect((await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: agentToken })).status).toBe(401);
    expect((await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { token: agentToken, body: { content: "hi" } })).status).toBe(401);
    expect((await conversationToken(c.conversationId, agentToken)).status).toBe(401);
    const messages = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.session.access_token });
    expect(messages.body.data).toEqual([]);
  });

  it("ends a revoked key's agent rights: REST writes refused and its open socket closed", async () => {
    const c = await startedConversation();
    const key = await createSecretKey(c.session.access_token, "manager");
    const agentToken = (await conversationToken(c.conversationId, key.key)).body.token as string;
    expect(claimsOf(agentToken)).toMatchObject({ role: "agent", agt: key.id });
    const visitor = await openSocket(c.conversationId, c.token);
    const agent = await openSocket(c.conversationId, agentToken);
    await agent.waitFor((e) => e.type === "status");
    agent.send({ type: "message", content: "Hello from the help desk.", client_id: "k-1" });
    await visitor.waitFor((e) => e.type === "agent_message");

    expect((await call("DELETE", `/api/v1/api-keys/${key.id}`, { token: c.session.access_token })).status).toBe(200);
    const before = await snapshot(c.conversationId, c.session.access_token);
    for (const [path, body] of WRITES.filter(([p]) => p !== "messages" && p !== "satisfaction")) {
      const res = await call("POST", `/api/v1/conversations/${c.conversationId}/${path}`, { token: agentToken, body });
      expect(res.status, path).toBe(401);
    }
    expect((await conversationToken(c.conversationId, agentToken)).status).toBe(401);

    const closed = closeCode(agent);
    const from = agent.events.length;
    agent.send({ type: "stop" });
    expect(await agent.waitFor((e) => e.type === "error", { from })).toMatchObject({ code: "forbidden" });
    expect(await closed).toBe(ACCESS_REVOKED_CLOSE_CODE);
    expect(await snapshot(c.conversationId, c.session.access_token)).toEqual(before);
    visitor.close();
  });

  it("ends the agent token of a key's old value when the key is rotated, and the new value works", async () => {
    const c = await startedConversation();
    const key = await createSecretKey(c.session.access_token, "admin");
    const oldToken = (await conversationToken(c.conversationId, key.key)).body.token as string;
    const rotated = await call("POST", `/api/v1/api-keys/${key.id}/rotate`, { token: c.session.access_token, body: {} });
    expect(rotated.status).toBe(200);

    const refused = await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { token: oldToken, body: { content: "old value" } });
    expect(refused.status).toBe(401);
    expect((await conversationToken(c.conversationId, oldToken)).status).toBe(401);
    const fresh = (await conversationToken(c.conversationId, rotated.body.key)).body.token as string;
    const ok = await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { token: fresh, body: { content: "new value" } });
    expect(ok.status).toBe(201);
    const messages = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.session.access_token });
    expect(messages.body.data.map((m: { content: string }) => m.content)).toEqual(["new value"]);
  });

  it("never lets a token renew itself into more than its holder may do", async () => {
    const c = await startedConversation();
    const viewer = await member(c.session.access_token, "viewer");
    const observerToken = (await conversationToken(c.conversationId, viewer.token)).body.token as string;
    // Promoted later: the watch-only token stays watch-only; a new one comes from signing in.
    expect((await call("PATCH", `/api/v1/team/${viewer.userId}`, { token: c.session.access_token, body: { role: "manager" } })).status).toBe(200);
    const renewed = await conversationToken(c.conversationId, observerToken);
    expect(renewed.body.role).toBe("observer");
    expect((await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { token: renewed.body.token, body: { content: "x" } })).status).toBe(403);
    expect((await conversationToken(c.conversationId, viewer.token)).body.role).toBe("agent");
    // A visitor's renewal stays a visitor's.
    const visitorRenewal = await conversationToken(c.conversationId, c.token);
    expect(visitorRenewal.body.role).toBe("visitor");
    expect(claimsOf(visitorRenewal.body.token)).toMatchObject({ role: "visitor", agt: null });
  });
});
