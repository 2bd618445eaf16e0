import { describe, expect, it } from "vitest";
import shippingArticle from "../../seed/docs/shipping-and-returns.md?raw";
import warrantyArticle from "../../seed/docs/warranty-and-batteries.md?raw";
import { NO_ANSWER } from "../src/llm/extractive";
import { call, createAssistant, signUp } from "./helpers";

/** A small Spanish help article, for answers in another widget language. */
const SPANISH_ARTICLE = `# Envíos y devoluciones

## ¿Cuánto tarda el envío?
El envío estándar tarda de 3 a 5 días laborables y cuesta 4,95 €.

## ¿Cómo devuelvo un pedido?
Abre Mi cuenta → Pedidos y elige Devolver. El reembolso llega en un plazo de 7 días.
`;

/** Polls a document until it leaves queued/processing (the ingestion queue runs in the background). */
async function ready(token: string, id: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call("GET", `/api/v1/documents/${id}`, { token });
    if (res.body.status === "ready") return;
    if (res.body.status === "failed" || Date.now() > deadline) throw new Error(`document ${id}: ${res.body.status} ${res.body.error}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A workspace whose assistant knows the demo shop's articles (and one in Spanish), uploaded through the API. */
async function demoShop() {
  const s = await signUp("Northwind");
  const token = s.access_token;
  const assistant = await createAssistant(token);
  const articles = [shippingArticle, warrantyArticle, SPANISH_ARTICLE];
  const ids: string[] = [];
  for (const content of articles) {
    const title = /^# (.+)$/m.exec(content)?.[1] ?? "Article";
    const res = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { title, content } });
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  for (const id of ids) await ready(token, id);
  const [shipping, warranty, spanish] = ids as [string, string, string];
  return { token, assistantId: assistant.id, docs: { shipping, warranty, spanish } };
}

/** Asks `question` in a conversation of its own, through the public REST API. */
async function ask(shop: Awaited<ReturnType<typeof demoShop>>, question: string) {
  const conv = await call("POST", "/api/v1/conversations", {
    token: shop.token,
    body: { assistant_id: shop.assistantId, visitor_id: `visitor-${crypto.randomUUID()}`, channel: "api" },
  });
  expect(conv.status).toBe(201);
  const res = await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/messages`, { token: shop.token, body: { content: question } });
  expect(res.status).toBe(200);
  const status = (await call("GET", `/api/v1/conversations/${conv.body.conversation_id}`, { token: shop.token })).body.status as string;
  return { ...(res.body as { message: { content: string; sources: { document_id: string }[]; confidence: number }; escalation: { reason: string } | null }), status };
}

describe("answers from the demo shop's help articles", () => {
  it("answers with the fact asked for and cites its one article once, without handing off", async () => {
    const shop = await demoShop();
    const cases: [string, RegExp, string][] = [
      ["How long does shipping take?", /2 to 4 working days/, shop.docs.shipping],
      ["When do I get my money back after a return?", /within 10 days/, shop.docs.shipping],
      ["I want to send my bike back, how do I do that?", /Account → Orders → Return/, shop.docs.shipping],
      ["How long does it take to charge the battery?", /4\.5 hours/, shop.docs.warranty],
      ["¿Cuánto tarda el envío?", /de 3 a 5 días laborables/, shop.docs.spanish],
      ["¿Cuándo llega el reembolso?", /7 días/, shop.docs.spanish],
    ];
    for (const [question, fact, document] of cases) {
      const { message, escalation, status } = await ask(shop, question);
      expect(message.content, question).toMatch(fact);
      expect(message.content.match(/\[\d+\]/g), question).toHaveLength(1);
      expect(message.sources.map((s) => s.document_id), question).toEqual([document]);
      expect(message.content, question).not.toMatch(/replacement part|warranty claim/i);
      expect(message.confidence, question).toBeGreaterThanOrEqual(0.8);
      expect(escalation, question).toBeNull();
      expect(status, question).toBe("active");
    }
  });

  it("says it does not know and hands off when the articles do not say, instead of citing the nearest sentence", async () => {
    const shop = await demoShop();
    const cases: [string, string][] = [
      ["What's your phone number?", NO_ANSWER.en!],
      ["What are your opening hours?", NO_ANSWER.en!],
      ["Do you have a shop in Berlin I can visit?", NO_ANSWER.en!],
      ["¿Cuál es vuestro número de teléfono?", NO_ANSWER.es!],
      ["¿Cuál es el horario de la tienda?", NO_ANSWER.es!],
    ];
    for (const [question, refusal] of cases) {
      const { message, escalation, status } = await ask(shop, question);
      expect(message.content, question).toBe(refusal);
      expect(message.sources, question).toEqual([]);
      expect(message.confidence, question).toBe(0);
      expect(escalation, question).toMatchObject({ reason: "no_match" });
      expect(status, question).toBe("escalated");
    }
  });
});
