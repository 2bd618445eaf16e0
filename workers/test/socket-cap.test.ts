import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { openWebSockets, SOCKET_CAP_RETRY_AFTER_SECONDS } from "../src/limits/open-sockets";
import { startedConversation, type Event } from "./conversation-helpers";

/**
 * The Worker with `MAX_OPEN_WEBSOCKETS` set to `cap`. The count is the isolate's, shared with
 * whatever else this runtime holds open, so each test sets its cap relative to the count it
 * finds when it starts.
 */
async function openWithCap(conversationId: string, token: string, cap: number) {
  const request = new Request(`http://api.test/api/v1/conversations/${conversationId}/ws?token=${encodeURIComponent(token)}`, {
    headers: { Upgrade: "websocket" },
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, MAX_OPEN_WEBSOCKETS: String(cap) } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** An accepted client socket recording its events. */
function client(res: Response) {
  const ws = res.webSocket;
  if (!ws) throw new Error(`no websocket: ${res.status}`);
  ws.accept();
  const events: Event[] = [];
  ws.addEventListener("message", (m) => {
    events.push(JSON.parse(m.data as string) as Event);
  });
  const waitFor = (pred: (e: Event) => boolean) => until(() => events.some(pred), "an event");
  return { ws, events, waitFor };
}

/** Waits (bounded) until `done()` holds: the server's close handling runs after the client's close. */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the cap on open WebSockets", () => {
  it("refuses the socket past the cap with 429 and Retry-After, while the open ones keep working", async () => {
    const conv = await startedConversation();
    const before = openWebSockets();
    const cap = before + 2;

    const first = client(await openWithCap(conv.conversationId, conv.token, cap));
    const second = client(await openWithCap(conv.conversationId, conv.token, cap));
    await first.waitFor((e) => e.type === "status");
    await second.waitFor((e) => e.type === "status");
    expect(openWebSockets()).toBe(before + 2);

    const refused = await openWithCap(conv.conversationId, conv.token, cap);
    expect(refused.status).toBe(429);
    expect(refused.webSocket).toBeNull();
    expect(refused.headers.get("retry-after")).toBe(String(SOCKET_CAP_RETRY_AFTER_SECONDS));
    expect(await refused.json()).toEqual({
      error: {
        code: "rate_limited",
        message: expect.any(String),
        details: { window: "open_websockets", limit: cap, retry_after_seconds: SOCKET_CAP_RETRY_AFTER_SECONDS },
      },
    });
    expect(openWebSockets()).toBe(before + 2);

    // The sockets already open are untouched: pings answered, a question's answer reaches both.
    first.ws.send(JSON.stringify({ type: "ping" }));
    await first.waitFor((e) => e.type === "pong");
    first.ws.send(JSON.stringify({ type: "message", content: "How long does a full battery charge take?", client_id: "cap-q1" }));
    await first.waitFor((e) => e.type === "response");
    await second.waitFor((e) => e.type === "response");

    // A closed socket frees its place for the next one.
    second.ws.close(1000, "leaving");
    await until(() => openWebSockets() === before + 1, "the close to be counted");
    const third = client(await openWithCap(conv.conversationId, conv.token, cap));
    await third.waitFor((e) => e.type === "status");
    expect(openWebSockets()).toBe(before + 2);

    first.ws.close(1000, "done");
    third.ws.close(1000, "done");
    await until(() => openWebSockets() === before, "every close to be counted");
  });

  it("admits no more than the cap from a burst of handshakes at once", async () => {
    const conv = await startedConversation();
    const before = openWebSockets();
    const cap = before + 3;
    const answers = await Promise.all(Array.from({ length: 6 }, () => openWithCap(conv.conversationId, conv.token, cap)));
    expect(answers.map((r) => r.status).sort()).toEqual([101, 101, 101, 429, 429, 429]);
    const opened = answers.filter((r) => r.status === 101).map(client);
    for (const socket of opened) await socket.waitFor((e) => e.type === "status");
    expect(openWebSockets()).toBe(before + 3);
    for (const socket of opened) socket.ws.close(1000, "done");
    await until(() => openWebSockets() === before, "every close to be counted");
  });

  it("counts sockets across conversations, and `off` lifts the cap", async () => {
    const a = await startedConversation();
    const b = await startedConversation();
    const before = openWebSockets();
    const cap = before + 1;

    const inA = client(await openWithCap(a.conversationId, a.token, cap));
    await inA.waitFor((e) => e.type === "status");
    const refused = await openWithCap(b.conversationId, b.token, cap);
    expect(refused.status).toBe(429);
    await refused.body?.cancel();

    const request = new Request(`http://api.test/api/v1/conversations/${b.conversationId}/ws?token=${encodeURIComponent(b.token)}`, {
      headers: { Upgrade: "websocket" },
    });
    const ctx = createExecutionContext();
    const uncapped = await worker.fetch(request, { ...env, MAX_OPEN_WEBSOCKETS: "off" } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(uncapped.status).toBe(101);
    const inB = client(uncapped);
    await inB.waitFor((e) => e.type === "status");
    expect(openWebSockets()).toBe(before + 2);

    inA.ws.close(1000, "done");
    inB.ws.close(1000, "done");
    await until(() => openWebSockets() === before, "every close to be counted");
  });
});
