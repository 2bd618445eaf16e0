/**
 * What a visitor's words ask for beyond an answer: a human, or an end to their frustration.
 * Patterns, not a model: they must work offline, instantly and predictably.
 */

const HUMAN_REQUEST: RegExp[] = [
  // English: "talk to a person", "speak with someone real", "get me an agent", "human please"
  /\b(talk|speak|chat|connect|transfer|put)\s+(me\s+)?(to|with|through to)\s+(a|an|the|some|your)?\s*(real\s+|live\s+|actual\s+)?(human|person|people|agent|representative|rep|operator|someone|somebody|staff|support team|customer service)\b/i,
  /\b(real|live|actual)\s+(human|person|agent|support)\b/i,
  /\b(human|person|agent|representative|operator)\s*,?\s*(please|pls|now)\b/i,
  /\b(get|give|want|need)\s+(me\s+)?(a|an|to\s+talk\s+to\s+a)?\s*(human|person|agent|representative|operator)\b/i,
  /^\s*(human|agent|operator|representative)\s*[.!?]*\s*$/i,
  /\b(escalate|escalation)\b/i,
  // Spanish, French, German, Portuguese, Italian, Dutch
  /\b(hablar|comunicarme)\s+con\s+(una\s+persona|un\s+humano|un\s+agente|alguien|un\s+representante|un\s+operador)\b/i,
  /\b(parler|discuter)\s+(à|a|avec)\s+(un\s+humain|une\s+personne|un\s+conseiller|un\s+agent|quelqu'un)\b/i,
  /\b(mit\s+(einem|einer)\s+(menschen|mitarbeiter(in)?|person|berater(in)?|agenten))\b/i,
  /\b(falar)\s+com\s+(um\s+humano|uma\s+pessoa|um\s+atendente|algu[eé]m|um\s+agente)\b/i,
  /\b(parlare)\s+con\s+(una\s+persona|un\s+operatore|un\s+umano|qualcuno)\b/i,
  /\b(spreken|praten)\s+met\s+(een\s+mens|een\s+medewerker|iemand)\b/i,
];

const NEGATION = /\b(don'?t|do not|no need to|never)\s+(want|need)\b/i;

/** True when the visitor asks for a human, in any common phrasing we know. */
export function asksForHuman(text: string): boolean {
  if (NEGATION.test(text)) return false;
  return HUMAN_REQUEST.some((p) => p.test(text));
}

const STRONG_NEGATIVE =
  /\b(useless|terrible|awful|horrible|worst|ridiculous|pathetic|furious|unacceptable|scam|rip-?off|fed up|sick of|waste of (my )?time|not helping|doesn'?t help|angry|hate this)\b/i;

/** True when a message reads as strongly frustrated (a reason to bring in a person). */
export function soundsFrustrated(text: string): boolean {
  const letters = text.replace(/[^A-Za-z]/g, "");
  const shouting = letters.length >= 12 && letters === letters.toUpperCase();
  const hits = (text.match(new RegExp(STRONG_NEGATIVE.source, "gi")) ?? []).length;
  return hits >= 2 || (hits >= 1 && (shouting || /!{2,}/.test(text)));
}
