/**
 * What the actions path says to a visitor in its own words, in the languages of the hand-off
 * line (`handoff-text.ts`): the sentence an answer ends with when its calls failed (an error or
 * no answer in time) or were declined and the model wrote nothing, and, on channels without a
 * socket, the question that asks the visitor to approve a changing call and the words that
 * answer it.
 */
import { inLanguage, type Localized } from "./handoff-text";

const FAILED: Localized<string> = {
  en: "I couldn't complete that request right now, so I can't tell you the result.",
  es: "No he podido completar esa solicitud ahora mismo, así que no puedo darte el resultado.",
  fr: "Je n'ai pas pu traiter cette demande pour le moment, je ne peux donc pas vous donner le résultat.",
  de: "Ich konnte diese Anfrage gerade nicht ausführen und kann Ihnen daher kein Ergebnis nennen.",
  pt: "Não consegui concluir esse pedido agora, por isso não posso dar-lhe o resultado.",
};

const DECLINED: Localized<string> = {
  en: "All right, I haven't done that.",
  es: "De acuerdo, no lo he hecho.",
  fr: "D'accord, je ne l'ai pas fait.",
  de: "In Ordnung, das habe ich nicht ausgeführt.",
  pt: "Está bem, não o fiz.",
};

const CONFIRM_QUESTION: Localized<(summary: string) => string> = {
  en: (s) => `I'm about to do this: ${s}. Reply yes to go ahead or no to cancel.`,
  es: (s) => `Voy a hacer esto: ${s}. Responde sí para continuar o no para cancelar.`,
  fr: (s) => `Je vais faire ceci : ${s}. Répondez oui pour continuer ou non pour annuler.`,
  de: (s) => `Ich würde Folgendes tun: ${s}. Antworten Sie ja, um fortzufahren, oder nein, um abzubrechen.`,
  pt: (s) => `Vou fazer isto: ${s}. Responda sim para continuar ou não para cancelar.`,
};

/** Words that approve or decline a pending call, in every language (a visitor may switch). */
const YES = new Set(["yes", "y", "yeah", "yep", "ok", "okay", "sure", "go ahead", "si", "sí", "vale", "claro", "oui", "d'accord", "ja", "jawohl", "klar", "sim", "pode"]);
const NO = new Set(["no", "n", "nope", "cancel", "stop", "non", "annuler", "nein", "abbrechen", "não", "nao", "cancelar"]);

/** The sentence an answer ends with when its calls failed and the model wrote nothing. */
export function toolFailureText(language: string): string {
  return inLanguage(FAILED, language);
}

/** The sentence an answer ends with when the visitor declined its calls and the model wrote nothing. */
export function toolDeclinedText(language: string): string {
  return inLanguage(DECLINED, language);
}

/** The message that asks a visitor without a socket to approve a changing call. */
export function confirmQuestionText(summary: string, language: string): string {
  return inLanguage(CONFIRM_QUESTION, language)(summary);
}

/**
 * How a visitor's reply answers a pending call: true for a yes, false for a no, null for
 * anything else (a new message). Case, trailing punctuation and a polite word aside.
 */
export function confirmationReply(text: string): boolean | null {
  const words = text
    .trim()
    .toLowerCase()
    .replace(/[.!¡¿?,;:\s]+$/u, "")
    .replace(/^[¡¿\s]+/u, "")
    .replace(/[,!.]?\s*(please|por favor|s'il vous plaît|bitte|obrigado|obrigada|thanks|danke|merci|gracias)$/u, "")
    .trim();
  if (YES.has(words)) return true;
  if (NO.has(words)) return false;
  return null;
}
