import { describe, expect, it } from "vitest";
import { matchProcedure, procedureAnswer, type ProcedureAction } from "./procedures";

const orderStatus: ProcedureAction = {
  id: "act_order",
  name: "get_order_status",
  enabled: true,
  mutating: false,
  parameters: {
    type: "object",
    properties: { order_number: { type: "string" }, customer_id: { type: "string", "x-identity": "user_id" } },
    required: ["order_number", "customer_id"],
  },
  triggers: {
    phrases: ["order status", "where is my order", "track order", "wo ist meine Bestellung", "Status Bestellung", "Sendung verfolgen"],
    patterns: { order_number: "\\b(\\d{4,})\\b" },
  },
};

const openingHours: ProcedureAction = {
  id: "act_hours",
  name: "store_hours",
  enabled: true,
  mutating: false,
  parameters: { type: "object", properties: { city: { type: "string" } } },
  triggers: { phrases: ["opening hours", "Öffnungszeiten"], patterns: {} },
};

const cancel: ProcedureAction = {
  ...orderStatus,
  id: "act_cancel",
  name: "cancel_order",
  mutating: true,
  triggers: { phrases: ["cancel order", "cancel my order"], patterns: { order_number: "\\b(\\d{4,})\\b" } },
};

describe("matchProcedure", () => {
  const actions = [orderStatus, openingHours, cancel];

  it.each([
    "Where is my order 1042?",
    "where's my order #1042",
    "Order 1042 — what's the status?",
    "STATUS of ORDER 1042 please",
    "Could you track my orders? Number is 1042.",
    "hi!! my order (1042) - where is it",
  ])("finds the order procedure and its number in %j", (text) => {
    const m = matchProcedure(actions, text, "en");
    expect(m?.action.name).toBe("get_order_status");
    expect(m?.arguments).toEqual({ order_number: "1042" });
  });

  it.each([
    "Wo ist meine Bestellung 1042?",
    "Meine Bestellung 1042 – wo ist sie denn?",
    "Wie ist der Status meiner Bestellungen? Nummer 1042",
    "Bitte Sendung 1042 verfolgen",
  ])("finds it in German too: %j", (text) => {
    const m = matchProcedure(actions, text, "de");
    expect(m?.action.name).toBe("get_order_status");
    expect(m?.arguments.order_number).toBe("1042");
  });

  it("needs every required parameter the visitor supplies: no number, no procedure", () => {
    expect(matchProcedure(actions, "Where is my order?", "en")).toBeNull();
    expect(matchProcedure(actions, "Where is my order 12?", "en")).toBeNull();
  });

  it("does not count the identity-bound parameter as one the visitor must type", () => {
    expect(matchProcedure([orderStatus], "order status 55555", "en")?.arguments).toEqual({ order_number: "55555" });
  });

  it("matches whole words only, not words inside others", () => {
    expect(matchProcedure(actions, "The border status of 1042 trucks", "en")).toBeNull();
    expect(matchProcedure(actions, "Where is my ordering desk 1042", "en")?.action.name ?? null).toBe("get_order_status"); // an inflection of a phrase word counts
  });

  it("leaves questions without an intent phrase to the model", () => {
    expect(matchProcedure(actions, "Do you ship to Norway? My zip is 10420", "en")).toBeNull();
  });

  it("never runs an action that changes data", () => {
    expect(matchProcedure(actions, "Please cancel my order 1042", "en")).toBeNull();
  });

  it("skips switched-off actions and picks parameterless procedures on their phrase alone", () => {
    expect(matchProcedure([{ ...orderStatus, enabled: false }], "where is my order 1042", "en")).toBeNull();
    expect(matchProcedure(actions, "Was sind eure Öffnungszeiten?", "de")?.action.name).toBe("store_hours");
    expect(matchProcedure(actions, "what are your opening hours", "en")?.action.name).toBe("store_hours");
  });

  it("prefers the procedure whose phrase matched more words", () => {
    const generic: ProcedureAction = { ...openingHours, id: "act_generic", name: "generic_order", triggers: { phrases: ["order"], patterns: {} } };
    expect(matchProcedure([generic, orderStatus], "where is my order 1042", "en")?.action.name).toBe("get_order_status");
  });

  it("turns a number-typed parameter into a number", () => {
    const typed: ProcedureAction = { ...orderStatus, parameters: { type: "object", properties: { order_number: { type: "integer" } }, required: ["order_number"] } };
    expect(matchProcedure([typed], "order status 1042", "en")?.arguments).toEqual({ order_number: 1042 });
  });
});

describe("procedureAnswer", () => {
  const done = { status: "done" as const, result: { status: "shipped", carrier: "DHL", "delivery.eta": "2026-12-09" } };

  it("fills the template from the result's fields and the arguments", () => {
    const answer = procedureAnswer(done, { template: "Order {order_number} is {status} with {carrier}, due {eta}.", arguments: { order_number: "1042" }, language: "en" });
    expect(answer).toBe("Order 1042 is shipped with DHL, due 2026-12-09.");
  });

  it("lists the fields when there is no template or a field is missing, never inventing one", () => {
    const answer = procedureAnswer(done, { template: "Arrives {arrival_day}", arguments: {}, language: "en" });
    expect(answer).toContain("status: shipped");
    expect(answer).toContain("carrier: DHL");
    expect(answer).not.toContain("arrival_day");
  });

  it("says plainly, in the visitor's language, when the lookup failed, found nothing or needs a signed-in visitor", () => {
    const failed = { status: "failed" as const, error: "the service answered 500" };
    expect(procedureAnswer(failed, { template: "Order {status}", arguments: {}, language: "en" })).toBe("I couldn't look that up right now.");
    expect(procedureAnswer(failed, { template: null, arguments: {}, language: "de" })).toBe("Das konnte ich gerade nicht nachsehen.");
    expect(procedureAnswer(failed, { template: null, arguments: {}, language: "de", notVerified: true })).toContain("angemeldet");
    expect(procedureAnswer(failed, { template: null, arguments: {}, language: "en", notFound: true })).toBe("I couldn't find that. Could you check the number?");
  });
});
