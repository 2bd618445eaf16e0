import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ask, modelLog, script, shop, start, toolEvents, type Shop } from "./action-conversation-helpers";
import { base, createAction, customerOrder, hits, uniq } from "./action-helpers";
import { openSocket } from "./conversation-helpers";
import { call, createSecretKey } from "./helpers";

/**
 * Actions in a conversation, through the real stack: a visitor's socket, the conversation
 * object, the actions executor against the business's order API (the local stand-in of the
 * global setup), and the model's tool calls streamed by the fake model server in OpenAI's and
 * Anthropic's wire formats. Visitors are verified through the assistant's identity secret.
 */

describe("the model's tool calls in a conversation", () => {
  let s: Shop;
  const name = `tools-openai-${uniq()}`;
  beforeAll(async () => {
    s = await shop({ model: "openai:gpt-test", script: name });
    await createAction({ token: s.token, workspaceId: s.workspaceId, assistantId: s.assistantId }, customerOrder());
  });

  it("gives a verified visitor their order, binds their own id over the model's, tells every socket, and stores the call", async () => {
    const conv = await start(s, "cust-1");
    expect(conv.verified).toBe(true);
    const ws = await openSocket(conv.id, conv.token);
    const other = await openSocket(conv.id, conv.token);
    await script(name, [
      { tool_calls: [{ id: "call_o1", name: "get_order_status", arguments: JSON.stringify({ order_number: "1042", customer_id: "cust-2" }) }] },
      { text: "Your order 1042 has shipped with DHL and should arrive on 2026-12-09." },
    ]);
    const { response, events } = await ask(ws, "Where is my order 1042?");
    expect(toolEvents(events)).toEqual(["get_order_status:running", "get_order_status:done"]);
    await other.waitFor((e) => e.type === "tool" && e.status === "done");
    expect(response.content).toContain("shipped with DHL");
    expect(response.tool_calls).toHaveLength(1);
    expect(response.tool_calls[0]).toMatchObject({
      call_id: "call_o1",
      name: "get_order_status",
      status: "done",
      arguments: { order_number: "1042", customer_id: "cust-1" },
      result: { status: "shipped", carrier: "DHL", eta: "2026-12-09" },
    });
    expect(response.tool_calls[0].action_id).toMatch(/\S/);
    // Both steps are metered: two prompts of the fake's 57 input tokens, and what it wrote.
    expect(response.tokens_used).toBeGreaterThan(2 * 57);

    // The model was shown the tool without the identity-bound parameter, then read the result.
    const log = await modelLog(name);
    expect(log.at(-1)!.provider).toBe("openai");
    const first = log.at(-2)!.body as { tools: { function: { name: string; parameters: { properties: Record<string, unknown> } } }[] };
    expect(first.tools.map((t) => t.function.name)).toEqual(["get_order_status"]);
    expect(Object.keys(first.tools[0]!.function.parameters.properties)).toEqual(["order_number"]);
    expect(JSON.stringify(log.at(-1)!.body)).toContain("DHL");

    // Stored with the message: GET messages, the D1 copy, and a resuming socket's replay.
    const listed = await call("GET", `/api/v1/conversations/${conv.id}/messages`, { token: conv.token });
    const answer = (listed.body.data as Record<string, any>[]).find((m) => m.id === response.id)!;
    expect(answer.tool_calls[0]).toMatchObject({ call_id: "call_o1", status: "done" });
    await expect
      .poll(async () => (await env.DB.prepare("select tool_calls from messages where id = ?").bind(response.id).first<{ tool_calls: string | null }>())?.tool_calls ?? null)
      .toContain("call_o1");
    const late = await openSocket(conv.id, conv.token);
    late.send({ type: "resume", after: null });
    const replayed = await late.waitFor((e) => e.type === "response" && (e.message as { id: string }).id === response.id);
    expect((replayed.message as Record<string, any>).tool_calls[0].status).toBe("done");
    for (const x of [ws, other, late]) x.close();
  });

  it("refuses an unverified visitor before any request reaches the service", async () => {
    const key = `unverified-${uniq()}`;
    const t = await shop({ model: "openai:gpt-test", script: `${name}-u` });
    await createAction({ token: t.token, workspaceId: t.workspaceId, assistantId: t.assistantId }, {
      ...customerOrder(),
      url: `${base()}/echo/${key}/{customer_id}/{order_number}`,
    });
    const conv = await start(t, null);
    const ws = await openSocket(conv.id, conv.token);
    await script(`${name}-u`, [
      { tool_calls: [{ id: "call_u1", name: "get_order_status", arguments: '{"order_number":"1042"}' }] },
      { text: "I can look that up once you are signed in." },
    ]);
    const { response, events } = await ask(ws, "Where is my order 1042?");
    expect(toolEvents(events)).toEqual(["get_order_status:running", "get_order_status:failed"]);
    expect(response.tool_calls[0]).toMatchObject({ status: "failed" });
    expect(response.tool_calls[0].error).toMatch(/verified/);
    expect(await hits(key)).toBe(0);
    ws.close();
  });

  it("runs parallel calls, and ends honestly on invalid JSON arguments", async () => {
    const conv = await start(s, "cust-1");
    const ws = await openSocket(conv.id, conv.token);
    await script(name, [
      {
        tool_calls: [
          { id: "call_p1", name: "get_order_status", arguments: '{"order_number":"1042"}' },
          { id: "call_p2", name: "get_order_status", arguments: '{"order_number":"1043"}' },
        ],
      },
      { text: "1042 has shipped; I could not find 1043 on your account." },
    ]);
    const both = await ask(ws, "Where are my orders 1042 and 1043?");
    expect(both.response.tool_calls.map((c: { call_id: string; status: string }) => `${c.call_id}:${c.status}`).sort()).toEqual(["call_p1:done", "call_p2:failed"]);

    await script(name, [{ tool_calls: [{ id: "call_bad", name: "get_order_status", arguments: '{"order_number": "10' }] }, { text: "" }]);
    const bad = await ask(ws, "And order 1042 again?");
    expect(bad.response.tool_calls[0]).toMatchObject({ call_id: "call_bad", status: "failed" });
    expect(bad.response.tool_calls[0].error).toMatch(/not valid JSON/);
    // The model wrote nothing after the failure: a plain sentence, never an invented status.
    expect(bad.response.content).toMatch(/couldn't complete/);
    expect(bad.response.content).not.toMatch(/shipped|DHL/);
    ws.close();
  });
});

describe("changing actions wait for the visitor", () => {
  let s: Shop;
  const name = `tools-confirm-${uniq()}`;
  const key = `cancel-${uniq()}`;
  beforeAll(async () => {
    s = await shop({ model: "anthropic:claude-test", script: name });
    await createAction({ token: s.token, workspaceId: s.workspaceId, assistantId: s.assistantId }, {
      name: "cancel_order",
      description: "Cancel an order that has not shipped",
      method: "POST",
      url: `${base()}/echo/${key}/cancel`,
      parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
      mutating: true,
      requires_verified: true,
    });
  });

  it("runs only after the visitor approves, and not after a decline or a timeout; an observer and an agent may not confirm", async () => {
    const conv = await start(s, "cust-1");
    const ws = await openSocket(conv.id, conv.token);
    const viewerKey = await createSecretKey(s.admin, "viewer");
    const observerToken = (await call("POST", `/api/v1/conversations/${conv.id}/token`, { token: viewerKey.key, body: {} })).body.token as string;
    const observer = await openSocket(conv.id, observerToken);
    const agentToken = (await call("POST", `/api/v1/conversations/${conv.id}/token`, { token: s.admin, body: {} })).body.token as string;
    const agent = await openSocket(conv.id, agentToken);

    // Approve (Anthropic's tool_use stream).
    await script(name, [{ tool_calls: [{ id: "toolu_1", name: "cancel_order", arguments: '{"order_number":"1043"}' }] }, { text: "Order 1043 is cancelled." }]);
    let from = ws.events.length;
    ws.send({ type: "message", content: "Please cancel order 1043", client_id: `c-${uniq()}` });
    const request = await ws.waitFor((e) => e.type === "confirm_request", { from });
    expect(request).toMatchObject({ call_id: "toolu_1", name: "cancel_order" });
    expect(request.summary).toContain("1043");
    expect(await hits(key)).toBe(0);
    const oFrom = observer.events.length;
    observer.send({ type: "confirm", call_id: "toolu_1", approve: true });
    expect(await observer.waitFor((e) => e.type === "error", { from: oFrom })).toMatchObject({ code: "forbidden" });
    const aFrom = agent.events.length;
    agent.send({ type: "confirm", call_id: "toolu_1", approve: true });
    expect(await agent.waitFor((e) => e.type === "error", { from: aFrom })).toMatchObject({ code: "forbidden" });
    expect(await hits(key)).toBe(0);
    ws.send({ type: "confirm", call_id: "toolu_1", approve: true });
    const approved = (await ws.waitFor((e) => e.type === "response", { from, timeoutMs: 10_000 })).message as Record<string, any>;
    expect(approved.tool_calls[0]).toMatchObject({ call_id: "toolu_1", status: "done" });
    expect(await hits(key)).toBe(1);
    expect(toolEvents(observer.events.slice(oFrom))).toContain("cancel_order:done");

    // Decline.
    await script(name, [{ tool_calls: [{ id: "toolu_2", name: "cancel_order", arguments: '{"order_number":"1042"}' }] }, { text: "All right, I left order 1042 as it is." }]);
    from = ws.events.length;
    ws.send({ type: "message", content: "Cancel order 1042 too", client_id: `c-${uniq()}` });
    await ws.waitFor((e) => e.type === "confirm_request" && e.call_id === "toolu_2", { from });
    ws.send({ type: "confirm", call_id: "toolu_2", approve: false });
    const declined = (await ws.waitFor((e) => e.type === "response", { from, timeoutMs: 10_000 })).message as Record<string, any>;
    expect(declined.tool_calls[0]).toMatchObject({ call_id: "toolu_2", status: "declined" });
    expect(await hits(key)).toBe(1);
    // The model was told of the decline.
    const confirmLog = await modelLog(name);
    expect(confirmLog.at(-1)!.provider).toBe("anthropic");
    expect(JSON.stringify(confirmLog.at(-1)!.body)).toContain("declined");

    // No answer: declined when the confirmation times out.
    await script(name, [{ tool_calls: [{ id: "toolu_3", name: "cancel_order", arguments: '{"order_number":"1044"}' }] }, { text: "I did not cancel it." }]);
    from = ws.events.length;
    ws.send({ type: "message", content: "Cancel order 1044", client_id: `c-${uniq()}` });
    await ws.waitFor((e) => e.type === "confirm_request" && e.call_id === "toolu_3", { from });
    const timedOut = (await ws.waitFor((e) => e.type === "response", { from, timeoutMs: 15_000 })).message as Record<string, any>;
    expect(timedOut.tool_calls[0]).toMatchObject({ call_id: "toolu_3", status: "declined" });
    expect(await hits(key)).toBe(1);
    for (const x of [ws, observer, agent]) x.close();
  });
});

describe("failing actions", () => {
  it("answers a 500 and a timeout honestly and hands off with the error for the agent", async () => {
    const name = `tools-fail-${uniq()}`;
    const key = `fail-${uniq()}`;
    const s = await shop({ model: "openai:gpt-test", script: name });
    const t = { token: s.token, workspaceId: s.workspaceId, assistantId: s.assistantId };
    await createAction(t, { name: "get_invoice", description: "An invoice", method: "GET", url: `${base()}/fail/${key}`, parameters: { type: "object", properties: {} } });
    await createAction(t, { name: "get_parcel", description: "A parcel", method: "GET", url: `${base()}/slow/${key}`, parameters: { type: "object", properties: {} }, timeout_ms: 500 });
    const conv = await start(s, "cust-1");
    const ws = await openSocket(conv.id, conv.token);
    await script(name, [
      { tool_calls: [{ id: "call_f1", name: "get_invoice", arguments: "{}" }, { id: "call_f2", name: "get_parcel", arguments: "{}" }] },
      { text: "" },
    ]);
    const { response, events } = await ask(ws, "Send me my invoice and where is my parcel?", 15_000);
    expect(toolEvents(events).sort()).toEqual(["get_invoice:failed", "get_invoice:running", "get_parcel:failed", "get_parcel:running"]);
    expect(response.content).toMatch(/couldn't complete/);
    expect(response.tool_calls.every((c: { status: string }) => c.status === "failed")).toBe(true);
    const escalation = await ws.waitFor((e) => e.type === "escalation");
    // The escalation reaches D1 through the conversation's batched outbox, a moment after the event.
    let esc: { id: string; note: string | null } | undefined;
    await expect
      .poll(async () => {
        const listed = await call("GET", "/api/v1/escalations", { token: s.admin });
        esc = (listed.body.data as { id: string; note: string | null }[]).find((e) => e.id === escalation.escalation_id);
        return esc;
      }, { timeout: 5_000 })
      .toBeDefined();
    expect(esc!.note).toContain("get_invoice");
    expect(esc!.note).toContain("get_parcel");
    ws.close();
  });
});

describe("procedures in the conversation", () => {
  it("answers 'where is my order 1042?' from the order service with the offline model, with its tool events and stored call", async () => {
    const s = await shop(); // the offline extractive model, like the demo
    await createAction({ token: s.token, workspaceId: s.workspaceId, assistantId: s.assistantId }, {
      name: "get_order_status",
      description: "Look up the status, carrier and expected delivery date of an order by its number.",
      method: "GET",
      url: `${base()}/orders/{order_number}`,
      parameters: { type: "object", properties: { order_number: { type: "string", pattern: "^\\d{4,}$" } }, required: ["order_number"] },
      response_fields: ["status", "carrier", "eta"],
      triggers: { phrases: ["where is my order", "order status", "track my order"], patterns: { order_number: "\\b(\\d{4,})\\b" } },
      answer_template: "Order {order_number} is {status} (carrier: {carrier}, expected {eta}).",
    });
    const conv = await start(s, null);
    const ws = await openSocket(conv.id, conv.token);
    const other = await openSocket(conv.id, conv.token);
    const { response, events } = await ask(ws, "where is my order 1042?");
    expect(response.content).toBe("Order 1042 is shipped (carrier: DHL, expected 2026-12-09).");
    expect(toolEvents(events)).toEqual(["get_order_status:running", "get_order_status:done"]);
    await other.waitFor((e) => e.type === "tool" && e.status === "done");
    expect(response.sources).toEqual([]);
    expect(response.tokens_used).toBe(0);
    expect(response.tool_calls[0]).toMatchObject({ name: "get_order_status", status: "done", arguments: { order_number: "1042" } });
    expect(events.some((e) => e.type === "escalation")).toBe(false);

    // A number the service does not know: an honest sentence, no hand-off.
    const missing = await ask(ws, "where is my order 9999?");
    expect(missing.response.content).toMatch(/couldn't find/);
    expect(missing.response.tool_calls[0]).toMatchObject({ status: "failed" });
    expect(missing.events.some((e) => e.type === "escalation")).toBe(false);
    ws.close();
    other.close();
  });
});
