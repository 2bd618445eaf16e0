/**
 * Fixed sentences the assistant says to a visitor, by language: the hand-off line here, the
 * actions' sentences in `action-text.ts`. English when the visitor's language has none.
 */

/** A sentence (or word list) in each language it is written in; English is required. */
export type Localized<T> = Readonly<Record<string, T>> & { readonly en: T };

/** The entry of `table` for `language` (`pt-BR` reads `pt`), English when there is none. */
export function inLanguage<T>(table: Localized<T>, language: string): T {
  return table[language.toLowerCase().split(/[-_]/)[0] ?? "en"] ?? table.en;
}

/** What the assistant says when it hands a visitor to a person, by language. */
const HANDOFF: Localized<string> = {
  en: "I'm connecting you with a member of our team. They'll reply here as soon as they can.",
  es: "Te estoy conectando con una persona de nuestro equipo. Te responderá aquí lo antes posible.",
  fr: "Je vous mets en relation avec un membre de notre équipe. Il vous répondra ici dès que possible.",
  de: "Ich verbinde Sie mit einem Mitglied unseres Teams. Sie erhalten hier so bald wie möglich eine Antwort.",
  pt: "Estou a ligar você a um membro da nossa equipa. Ele responderá aqui assim que possível.",
};

/** The hand-off line in `language`, English when it is not localised. */
export function handoffText(language: string): string {
  return inLanguage(HANDOFF, language);
}
