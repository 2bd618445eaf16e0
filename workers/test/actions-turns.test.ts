import { describe, expect, it } from "vitest";
import { ask, modelLog, script, settled, shop, start, toolEvents, type Shop } from "./action-conversation-helpers";
import { base, createAction, customerOrder, hits, uniq } from "./action-helpers";
import { openSocket } from "./conversation-helpers";
import { call } from "./helpers";

/**
 * How an action call plays out in a conversation turn, through the real stack (socket,
 * conversation object, D1, the fake business services and model): a procedure's call shown
 * running while the service works, the action's own hand-off setting when a call fails, the
 * actions' sentences in the visitor's language, and earlier calls replayed to the model.
 */

const tenantOf = (s: Shop) => ({ token: s.token, workspaceId: s.workspaceId, assistantId: s.assistantId });

/** Escalations of the workspace, once the conversation's outbox has copied them to D1. */
async function escalationNote(s: Shop, escalationId: unknown): Promise<string | null> {
  let note: string | null | undefined;
  await expect
    .poll(async () => {
      const listed = await call("GET", "/api/v1/escalations", { token: s.admin });
      note = (listed.body.data as { id: string; note: string | null }[]).find((e) => e.id === escalationId)?.note;
      return note;
    }, { timeout: 10_000 })
    .toBeDefined();
  return note ?? null;
}

describe("a procedure's call", () => {
  it("is shown running to every socket before the service has answered, then done", async () => {
    const key = `hold-${uniq()}`;
    const s = await shop();
    await createAction(tenantOf(s), {
      name: "get_order_status",
      description: "Status of an order",
      method: "GET",
      url: `${base()}/hold/${key}/{order_number}`,
      parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
      response_fields: ["status", "carrier"],
      triggers: { phrases: ["where is my order"], patterns: { order_number: "\\b(\\d{4,})\\b" } },
      answer_template: "Order {order_number} is {status} with {carrier}.",
    });
    const conv = await start(s, null);
    const ws = await openSocket(conv.id, conv.token);
    const other = await openSocket(conv.id, conv.token);
    const from = ws.events.length;
    ws.send({ type: "message", content: "Where is my order 1042?", client_id: `c-${uniq()}` });

    const running = await ws.waitFor((e) => e.type === "tool" && e.status === "running", { from, timeoutMs: 10_000 });
    await other.waitFor((e) => e.type === "tool" && e.call_id === running.call_id && e.status === "running", { timeoutMs: 10_000 });
    // The service has the request and holds its answer: nothing but `running` has been told.
    await expect.poll(() => hits(key), { timeout: 10_000 }).toBe(1);
    expect(ws.events.slice(from).some((e) => (e.type === "tool" && e.status !== "running") || e.type === "response" || e.type === "delta")).toBe(false);

    const released = (await (await fetch(`${base()}/__release/${key}`, { method: "POST" })).json()) as { released: number };
    expect(released.released).toBe(1);
    const response = (await ws.waitFor((e) => e.type === "response", { from, timeoutMs: 10_000 })).message as Record<string, any>;
    expect(response.content).toBe("Order 1042 is shipped with DHL.");
    expect(toolEvents(ws.events.slice(from))).toEqual(["get_order_status:running", "get_order_status:done"]);
    // The call announced is the call stored.
    expect(response.tool_calls[0]).toMatchObject({ call_id: running.call_id, status: "done" });
    ws.close();
    other.close();
  });
});

describe("handoff_on_failure", () => {
  it("is true unless set, and is changed by PATCH and set by an import", async () => {
    const s = await shop();
    const made = await createAction(tenantOf(s), { name: "lookup", url: `${base()}/orders/{n}`, parameters: { type: "object", properties: { n: { type: "string" } }, required: ["n"] } });
    expect(made.handoff_on_failure).toBe(true);
    const patched = await call("PATCH", `/api/v1/actions/${made.id}`, { token: s.token, body: { handoff_on_failure: false } });
    expect(patched.status).toBe(200);
    expect(patched.body.handoff_on_failure).toBe(false);
    expect((await call("GET", `/api/v1/actions/${made.id}`, { token: s.token })).body.handoff_on_failure).toBe(false);
    const bad = await call("PATCH", `/api/v1/actions/${made.id}`, { token: s.token, body: { handoff_on_failure: "no" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");

    const imported = await call("POST", `/api/v1/assistants/${s.assistantId}/actions/import`, {
      token: s.token,
      body: {
        handoff_on_failure: false,
        openapi: { openapi: "3.0.3", info: { title: "Shop", version: "1" }, servers: [{ url: base() }], paths: { "/orders/{number}": { get: { operationId: "getOrder", parameters: [{ name: "number", in: "path", required: true, schema: { type: "string" } }] } } } },
      },
    });
    expect(imported.status).toBe(201);
    expect(imported.body.data.map((a: { handoff_on_failure: boolean }) => a.handoff_on_failure)).toEqual([false]);

    const doc = (await call("GET", "/api/v1/openapi.json")).body as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    for (const schema of ["Action", "ActionCreate", "ActionUpdate", "ActionImport"]) expect(doc.components.schemas[schema]!.properties).toHaveProperty("handoff_on_failure");
  });

  it("hands a failed model call to a person with its error, even for an assistant that never escalates on confidence", async () => {
    const name = `handoff-on-${uniq()}`;
    const key = `handoff-on-${uniq()}`;
    const s = await shop({ model: "openai:gpt-test", script: name, threshold: 0 });
    await createAction(tenantOf(s), { name: "get_invoice", description: "An invoice", method: "GET", url: `${base()}/fail/${key}`, parameters: { type: "object", properties: {} } });
    const conv = await start(s, "cust-1");
    const ws = await openSocket(conv.id, conv.token);
    await script(name, [{ tool_calls: [{ id: "call_h1", name: "get_invoice", arguments: "{}" }] }, { text: "" }]);
    const { response } = await ask(ws, "Send me my invoice please");
    expect(response.content).toBe("I couldn't complete that request right now, so I can't tell you the result.");
    const escalation = await ws.waitFor((e) => e.type === "escalation");
    expect(await escalationNote(s, escalation.escalation_id)).toMatch(/get_invoice \(call_h1\): .*500/);
    ws.close();
  });

  it("keeps the conversation with the assistant when the action does not hand off, for a model call and a procedure", async () => {
    const name = `handoff-off-${uniq()}`;
    const key = `handoff-off-${uniq()}`;
    // An assistant that hands off below 0.9 confidence: a failed call used to go to a person.
    const s = await shop({ model: "openai:gpt-test", script: name, threshold: 0.9 });
    await createAction(tenantOf(s), {
      name: "get_invoice",
      description: "An invoice",
      method: "GET",
      url: `${base()}/fail/${key}`,
      parameters: { type: "object", properties: {} },
      handoff_on_failure: false,
    });
    await createAction(tenantOf(s), {
      name: "get_parcel",
      description: "A parcel",
      method: "GET",
      url: `${base()}/slow/${key}`,
      parameters: { type: "object", properties: {} },
      timeout_ms: 500,
      triggers: { phrases: ["where is my parcel"] },
      handoff_on_failure: false,
    });
    const conv = await start(s, "cust-1");
    const ws = await openSocket(conv.id, conv.token);

    await script(name, [{ tool_calls: [{ id: "call_n1", name: "get_invoice", arguments: "{}" }] }, { text: "" }]);
    const modelTurn = await ask(ws, "Send me my invoice please");
    expect(modelTurn.response.content).toMatch(/couldn't complete/);
    expect(modelTurn.response.tool_calls[0]).toMatchObject({ call_id: "call_n1", status: "failed" });

    // The procedure's call times out: the visitor hears so, nobody is called in.
    const procedure = await ask(ws, "Where is my parcel?", 15_000);
    expect(procedure.response.content).toBe("I couldn't look that up right now.");
    expect(procedure.response.tool_calls[0]).toMatchObject({ name: "get_parcel", status: "failed" });
    expect(procedure.response.tool_calls[0].error).toMatch(/500 ms/);

    expect((await settled(ws)).some((e) => e.type === "escalation" || (e.type === "status" && e.status === "escalated"))).toBe(false);
    expect(await hits(key)).toBeGreaterThanOrEqual(2);
    ws.close();
  });
});

describe("the actions' sentences in the visitor's language", () => {
  it("tells a German visitor of a failed call, and a Spanish one of a declined change, in their language", async () => {
    const name = `lang-${uniq()}`;
    const key = `lang-${uniq()}`;
    const cancelKey = `lang-cancel-${uniq()}`;
    const s = await shop({ model: "anthropic:claude-test", script: name });
    const t = tenantOf(s);
    await createAction(t, { name: "get_invoice", description: "An invoice", method: "GET", url: `${base()}/fail/${key}`, parameters: { type: "object", properties: {} } });
    await createAction(t, {
      name: "cancel_order",
      description: "Cancel an order",
      method: "POST",
      url: `${base()}/echo/${cancelKey}/cancel`,
      parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
    });

    const de = await start(s, "cust-1");
    const wsDe = await openSocket(de.id, de.token);
    await script(name, [{ tool_calls: [{ id: "toolu_de", name: "get_invoice", arguments: "{}" }] }, { text: "" }]);
    const failed = await ask(wsDe, "Bitte schicken Sie mir meine Rechnung, ich habe sie nicht bekommen.");
    expect(failed.response.language).toBe("de");
    expect(failed.response.content).toBe("Ich konnte diese Anfrage gerade nicht ausführen und kann Ihnen daher kein Ergebnis nennen.");
    wsDe.close();

    const es = await start(s, "cust-1");
    const wsEs = await openSocket(es.id, es.token);
    await script(name, [{ tool_calls: [{ id: "toolu_es", name: "cancel_order", arguments: '{"order_number":"1043"}' }] }, { text: "" }]);
    const from = wsEs.events.length;
    wsEs.send({ type: "message", content: "Hola, quiero cancelar mi pedido 1043 por favor", client_id: `c-${uniq()}` });
    await wsEs.waitFor((e) => e.type === "confirm_request" && e.call_id === "toolu_es", { from, timeoutMs: 10_000 });
    wsEs.send({ type: "confirm", call_id: "toolu_es", approve: false });
    const declined = (await wsEs.waitFor((e) => e.type === "response", { from, timeoutMs: 10_000 })).message as Record<string, any>;
    expect(declined.tool_calls[0]).toMatchObject({ call_id: "toolu_es", status: "declined" });
    expect(declined.content).toBe("De acuerdo, no lo he hecho.");
    expect(await hits(cancelKey)).toBe(0);
    wsEs.close();
  });
});

describe("earlier tool turns", () => {
  it("are replayed to the model answering a later message, as OpenAI tool calls and results, redacted as stored", async () => {
    const name = `replay-${uniq()}`;
    const s = await shop({ model: "openai:gpt-test", script: name });
    await createAction(tenantOf(s), customerOrder());
    const conv = await start(s, "cust-1");
    const ws = await openSocket(conv.id, conv.token);
    await script(name, [
      { tool_calls: [{ id: "call_r1", name: "get_order_status", arguments: JSON.stringify({ order_number: "1042", password: "hunter2" }) }] },
      { text: "Your order 1042 has shipped with DHL." },
      { text: "It should arrive on 2026-12-09." },
    ]);
    const first = await ask(ws, "Where is my order 1042?");
    expect(first.response.tool_calls[0]).toMatchObject({ call_id: "call_r1", status: "done" });
    const second = await ask(ws, "And when will it arrive?");
    expect(second.response.content).toContain("2026-12-09");

    const body = (await modelLog(name)).at(-1)!.body as { messages: Record<string, any>[] };
    const messages = body.messages;
    const asked = messages.findIndex((m) => m.role === "assistant" && m.tool_calls?.some((c: { id: string }) => c.id === "call_r1"));
    expect(asked).toBeGreaterThan(0);
    const toolCall = messages[asked]!.tool_calls.find((c: { id: string }) => c.id === "call_r1");
    expect(toolCall).toMatchObject({ type: "function", function: { name: "get_order_status" } });
    const args = JSON.parse(toolCall.function.arguments);
    // Arguments as stored: the verified visitor's id bound, the secret-looking one redacted.
    expect(args.order_number).toBe("1042");
    expect(args.customer_id).toBe("cust-1");
    expect(args.password).toBe("[redacted]");
    expect(JSON.stringify(messages)).not.toContain("hunter2");
    const result = messages[asked + 1]!;
    expect(result).toMatchObject({ role: "tool", tool_call_id: "call_r1" });
    expect(JSON.parse(result.content)).toMatchObject({ status: "shipped", carrier: "DHL" });
    // Then the answer's text, then the new question.
    expect(messages[asked + 2]).toMatchObject({ role: "assistant", content: "Your order 1042 has shipped with DHL." });
    expect(messages.at(-1)).toMatchObject({ role: "user", content: "And when will it arrive?" });
    ws.close();
  });
});
