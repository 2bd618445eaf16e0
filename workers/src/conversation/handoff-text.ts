/** What the assistant says when it hands a visitor to a person, by language. */
const HANDOFF: Readonly<Record<string, string>> = {
  en: "I'm connecting you with a member of our team. They'll reply here as soon as they can.",
  es: "Te estoy conectando con una persona de nuestro equipo. Te responderá aquí lo antes posible.",
  fr: "Je vous mets en relation avec un membre de notre équipe. Il vous répondra ici dès que possible.",
  de: "Ich verbinde Sie mit einem Mitglied unseres Teams. Sie erhalten hier so bald wie möglich eine Antwort.",
  pt: "Estou a ligar você a um membro da nossa equipa. Ele responderá aqui assim que possível.",
};

/** The hand-off line in `language`, English when it is not localised. */
export function handoffText(language: string): string {
  return HANDOFF[language.split(/[-_]/)[0] ?? "en"] ?? (HANDOFF.en as string);
}
