import { describe, expect, it } from "vitest";
import shippingArticle from "../../../seed/docs/shipping-and-returns.md?raw";
import warrantyArticle from "../../../seed/docs/warranty-and-batteries.md?raw";
import type { Passage } from "./chat-model";
import { ExtractiveChatModel, NO_ANSWER, extractAnswer, isNoAnswerText, noAnswerText, wordGroups } from "./extractive";
import { ModelError } from "./model-error";
import { PASSAGES, collect, sampleRequest } from "../../test/llm-helpers";

/** One passage per `## ` section of a markdown article, its heading kept apart as search returns it. */
function sections(file: string, markdown: string): Passage[] {
  const title = /^# (.+)$/m.exec(markdown)?.[1] ?? file;
  return markdown
    .split(/^## /m)
    .slice(1)
    .map((section, i) => ({
      chunk_id: `chk_${file}_${i}`,
      document_id: `doc_${file}`,
      title,
      content: section.slice(section.indexOf("\n") + 1).trim(),
      score: 1,
    }));
}

/** The demo shop's help centre, as retrieval would hand it over (every section, in article order). */
const DEMO_SHOP = [...sections("shipping", shippingArticle), ...sections("warranty", warrantyArticle)];

const passage = (id: string, title: string, content: string, document = id): Passage => ({
  chunk_id: `chk_${id}`,
  document_id: `doc_${document}`,
  title,
  content,
  score: 1,
});

/** The citation markers of an answer. */
const markers = (answer: string | null) => answer?.match(/\[\d+\]/g) ?? [];

const model = new ExtractiveChatModel();

describe("extractive model", () => {
  it("answers with the passage's own sentences and cites it", async () => {
    const out = await collect(model.stream(sampleRequest("How long do refunds take?")));
    expect(out.error).toBeUndefined();
    expect(out.text).toBe("Refunds are processed within 5 business days after we receive the item [1].");
    expect(out.text).toMatch(/\[1\]\.$/);
    expect(out.text).not.toMatch(/\[2\]|\[3\]|ship/i);
    expect(out.done).toEqual({
      type: "done",
      model: "extractive",
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), estimated: true },
      finish_reason: "stop",
    });
    expect(out.done?.usage.output_tokens).toBeGreaterThan(0);
  });

  it("answers the question asked with the sentence of the asked type, not the one sharing the most words", () => {
    // "How long" wants a duration: the article's other shipping sentences share "shipping" too.
    expect(extractAnswer("How long does express shipping take?", PASSAGES)).toBe("Express shipping arrives the next business day [2].");
    expect(extractAnswer("How long does shipping take?", DEMO_SHOP)).toBe(
      "Standard delivery takes 2 to 4 working days within the EU and costs 29 EUR; it is free on orders over 1,500 EUR [1].",
    );
    expect(extractAnswer("How much does express delivery cost?", DEMO_SHOP)).toContain("59 EUR [1]");
    expect(extractAnswer("How long does it take to charge the battery?", DEMO_SHOP)).toBe(
      "A full charge takes about 4.5 hours with the standard 4 A charger [6].",
    );
  });

  it("answers the demo shop's visitors with the fact and one citation", () => {
    const refund = extractAnswer("When do I get my money back after a return?", DEMO_SHOP);
    expect(refund).toContain("within 10 days");
    expect(markers(refund)).toEqual(["[3]"]);
    const sendBack = extractAnswer("I want to send my bike back, how do I do that?", DEMO_SHOP);
    expect(sendBack).toContain("Start a return under Account → Orders → Return");
    expect(sendBack).not.toMatch(/replacement part/);
    expect(markers(sendBack)).toEqual(["[3]"]);
  });

  it("refuses rather than quote the nearest sentence when the articles lack the kind of fact asked for", () => {
    // The articles mention an order number and a warranty claim page, but no phone, e-mail or hours.
    for (const question of ["What's your phone number?", "What are your opening hours?", "What's your email address?", "How can I contact customer service?"]) {
      expect(extractAnswer(question, DEMO_SHOP), question).toBeNull();
    }
    const contact = [passage("contact", "Contact us", "Call us on +44 20 7946 0958 or write to help@example.com. We are open Monday to Friday, 9:00–17:00.")];
    expect(extractAnswer("What's your phone number?", contact)).toBe("Call us on +44 20 7946 0958 or write to help@example.com [1].");
    expect(extractAnswer("What are your opening hours?", contact)).toBe("We are open Monday to Friday, 9:00–17:00 [1].");
  });

  it("adds a second sentence only when it names part of the question the first leaves out", () => {
    // The refund sentence alone does not say how to start; the return steps alone do not mention the refund.
    const both = extractAnswer("How can I get my money back?", DEMO_SHOP);
    expect(both).toBe(
      "Start a return under Account → Orders → Return; we email you a prepaid label and collect the bike within 5 working days. " +
        "Your refund is paid to the original payment method within 10 days of the bike reaching us [3].",
    );
    // Covered by one sentence and the title: nothing appended.
    expect(extractAnswer("How long does shipping take?", DEMO_SHOP)?.split(". ")).toHaveLength(1);
  });

  it("cites a document once when two of its chunks are retrieved", () => {
    const passages = [
      passage("ship1", "Shipping", "We ship to every country in the EU. Standard shipping takes 3 to 7 days.", "shipping"),
      passage("ship2", "Shipping", "Standard shipping takes 3 to 7 days. Tracking links are emailed when the parcel leaves.", "shipping"),
    ];
    const answer = extractAnswer("How long does shipping take, and do I get a tracking link?", passages);
    expect(answer).toContain("3 to 7 days");
    expect(answer).toContain("Tracking links are emailed");
    expect(markers(answer)).toEqual(["[1]"]);
    expect(answer?.match(/3 to 7 days/g)).toHaveLength(1);
  });

  it("answers and refuses in Spanish and French as in English", () => {
    const es = [
      passage("envios", "Envíos", "Enviamos a toda España y Portugal. El envío estándar tarda de 3 a 5 días laborables y cuesta 4,95 €."),
      passage("devol", "Devoluciones", "Tienes 30 días para devolver un artículo. Abre Mi cuenta → Pedidos y elige Devolver. El reembolso llega en un plazo de 7 días."),
    ];
    expect(extractAnswer("¿Cuánto tarda el envío?", es)).toBe("El envío estándar tarda de 3 a 5 días laborables y cuesta 4,95 € [1].");
    expect(extractAnswer("¿Cuándo recibo mi reembolso?", es)).toBe("El reembolso llega en un plazo de 7 días [2].");
    expect(extractAnswer("¿Cómo puedo devolver un artículo?", es)).toContain("Abre Mi cuenta → Pedidos y elige Devolver [2].");
    expect(extractAnswer("¿Cuál es su número de teléfono?", es)).toBeNull();
    expect(extractAnswer("¿Cuál es el horario de la tienda?", es)).toBeNull();
    const fr = [passage("livraison", "Livraison", "Nous livrons en France et en Belgique. La livraison standard prend 2 à 3 jours ouvrés. Pour suivre votre colis, ouvrez Mon compte → Commandes.")];
    expect(extractAnswer("Combien de temps prend la livraison ?", fr)).toBe("La livraison standard prend 2 à 3 jours ouvrés [1].");
    expect(extractAnswer("Comment suivre mon colis ?", fr)).toBe("Pour suivre votre colis, ouvrez Mon compte → Commandes [1].");
    expect(extractAnswer("Quels sont vos horaires d'ouverture ?", fr)).toBeNull();
  });

  it("never quotes a heading or an FAQ's question as an answer", () => {
    const answer = extractAnswer("How do I ask for a refund?", PASSAGES) ?? "";
    expect(answer).toContain("Open the Orders page and choose Request refund next to the item");
    expect(answer).not.toContain("?");
    expect(answer).not.toContain("#");
  });

  it("says plainly that it does not know when there are no passages", async () => {
    const out = await collect(model.stream(sampleRequest("How long do refunds take?", { passages: [] })));
    expect(out.text).toBe("I couldn't find this in our help articles, so I've passed your question to our team.");
    expect(isNoAnswerText(out.text)).toBe(true);
    expect(out.done?.finish_reason).toBe("stop");
  });

  it("says it does not know when no passage answers the question", async () => {
    const out = await collect(model.stream(sampleRequest("What's the weather like in Paris today?")));
    expect(out.text).toBe(NO_ANSWER.en);
  });

  it("does not answer from a passage that shares only a minor word with the question", () => {
    // "account" appears, but nothing about deleting one.
    expect(extractAnswer("How do I permanently delete my account?", PASSAGES)).toBeNull();
  });

  it("refuses in the visitor's language", async () => {
    const es = await collect(model.stream(sampleRequest("¿Cuál es el horario de la tienda?", { passages: [], language: "es" })));
    expect(es.text).toBe(NO_ANSWER.es);
    expect(noAnswerText("pt-BR")).toBe(NO_ANSWER.pt);
    expect(noAnswerText("fr")).toBe(NO_ANSWER.fr);
    expect(noAnswerText("de-AT")).toBe(NO_ANSWER.de);
    expect(noAnswerText("ja")).toBe(NO_ANSWER.en);
    expect(noAnswerText(undefined)).toBe(NO_ANSWER.en);
  });

  it("matches across accents and plurals", () => {
    const passages = [{ ...PASSAGES[0]!, content: "Las devoluciones se procesan en cinco días hábiles." }];
    expect(extractAnswer("¿Cómo funciona una devolución?", passages)).toBe(
      "Las devoluciones se procesan en cinco días hábiles [1].",
    );
  });

  it("streams small word groups that add up to the answer, the same every time", async () => {
    const first = await collect(model.stream(sampleRequest("How long do refunds take?")));
    const second = await collect(model.stream(sampleRequest("How long do refunds take?")));
    expect(second).toEqual(first);
    expect(first.deltas.length).toBeGreaterThan(3);
    for (const delta of first.deltas) expect(delta.trim().split(/\s+/).length).toBeLessThanOrEqual(3);
    expect(first.deltas.join("")).toBe(first.text);
    expect(wordGroups("one two three four")).toEqual(["one two three ", "four"]);
  });

  it("stops at maxTokens and says so", async () => {
    const out = await collect(model.stream(sampleRequest("How long do refunds take?", { maxTokens: 5 })));
    expect(out.done?.finish_reason).toBe("length");
    expect(out.done?.usage.output_tokens).toBeLessThanOrEqual(5);
  });

  it("stops when the signal fires", async () => {
    const controller = new AbortController();
    const out = await collect(
      model.stream(sampleRequest("How long do refunds take?", { signal: controller.signal })),
      () => controller.abort(),
    );
    expect(out.deltas).toHaveLength(1);
    expect(out.done).toBeUndefined();
    expect(out.error).toBeInstanceOf(ModelError);
    expect(out.error?.kind).toBe("aborted");
    expect(out.error?.retryable).toBe(false);
  });
});
