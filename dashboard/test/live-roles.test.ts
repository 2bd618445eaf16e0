/**
 * The live conversation view hands each user the token the API grants them: viewers watch
 * with an `observer` token that cannot reply over REST or the socket, managers get an `agent`
 * token, and a manager demoted while the page is open is renewed as an observer.
 */
import { describe, expect, it } from "vitest";
import * as conversation from "../app/routes/_app.conversations.$id";
import * as tokenRoute from "../app/routes/_app.conversations.$id.token";
import { apiCall, memberBrowser, signedUpBrowser } from "./harness";

const ORIGIN = "https://shop.example.com";

/** A workspace with a widget conversation that has a question and its answer. */
async function workspaceWithConversation() {
  const s = await signedUpBrowser("Live");
  const a = await apiCall("POST", "/assistants", { token: s.token, body: { name: "Helper", allowed_origins: [ORIGIN] } });
  const pk = await apiCall("POST", "/api-keys", { token: s.token, body: { name: "w", type: "publishable", assistant_id: a.body.id } });
  const conv = await apiCall("POST", "/conversations", {
    token: pk.body.key,
    headers: { Origin: ORIGIN },
    body: { assistant_id: a.body.id, visitor_id: "visitor-7", channel: "web" },
  });
  await apiCall("POST", `/conversations/${conv.body.conversation_id}/messages`, { token: conv.body.token, body: { content: "Where is my parcel?" } });
  return { ...s, conversationId: conv.body.conversation_id as string };
}

/** The first `error` event a socket gets after sending `frame` (the status event on join comes first). */
async function refusalOf(url: string, token: string, frame: unknown): Promise<{ type: string; code?: string }> {
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
  try {
    return await new Promise((resolve, reject) => {
      ws.addEventListener("open", () => ws.send(JSON.stringify(frame)));
      ws.addEventListener("message", (m) => {
        const event = JSON.parse(String(m.data)) as { type: string; code?: string };
        if (event.type === "error") resolve(event);
      });
      ws.addEventListener("error", () => reject(new Error("socket failed")));
      ws.addEventListener("close", (e) => reject(new Error(`socket closed (${e.code}) before an error event`)));
    });
  } finally {
    ws.close();
  }
}

describe("live conversation view and roles", () => {
  it("gives a viewer a watch-only socket that cannot reply, and a manager an agent one", async () => {
    const w = await workspaceWithConversation();
    const params = { id: w.conversationId };
    const path = `/conversations/${w.conversationId}`;

    const viewer = await memberBrowser(w.token, "viewer");
    const page = await viewer.browser.load(conversation.loader, path, params);
    expect(page.status).toBe(200);
    expect(page.data.socket.role).toBe("observer");
    const renewed = await viewer.browser.submit(tokenRoute.action, `${path}/token`, {}, { params });
    expect(renewed.data.role).toBe("observer");

    // The token the page holds cannot act as support, over REST or on the socket.
    const reply = await apiCall("POST", `${path}/agent-messages`, { token: page.data.socket.token, body: { content: "I am support" } });
    expect(reply.status).toBe(403);
    expect(await refusalOf(page.data.socket.url, page.data.socket.token, { type: "message", content: "I am support" })).toMatchObject({
      type: "error",
      code: "forbidden",
    });
    const msgs = await apiCall("GET", `${path}/messages`, { token: w.token });
    expect(msgs.body.data.map((m: { sender_type: string }) => m.sender_type)).toEqual(["visitor", "assistant"]);

    const manager = await memberBrowser(w.token, "manager");
    const managerPage = await manager.browser.load(conversation.loader, path, params);
    expect(managerPage.data.socket.role).toBe("agent");
  });

  it("renews a demoted manager's socket as watch-only", async () => {
    const w = await workspaceWithConversation();
    const params = { id: w.conversationId };
    const path = `/conversations/${w.conversationId}`;
    const manager = await memberBrowser(w.token, "manager");
    expect((await manager.browser.load(conversation.loader, path, params)).data.socket.role).toBe("agent");

    expect((await apiCall("PATCH", `/team/${manager.userId}`, { token: w.token, body: { role: "viewer" } })).status).toBe(200);
    const renewed = await manager.browser.submit(tokenRoute.action, `${path}/token`, {}, { params });
    expect(renewed.status).toBe(200);
    expect(renewed.data.role).toBe("observer");
    expect((await manager.browser.load(conversation.loader, path, params)).data.socket.role).toBe("observer");
  });
});
