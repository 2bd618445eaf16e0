/**
 * Which language a visitor wrote in, offline and instantly. Non-Latin scripts identify
 * themselves; Latin-script languages are told apart by their commonest function words, which
 * stays reliable on the short messages people type into a chat, where letter statistics fail.
 */

const SCRIPTS: [RegExp, string][] = [
  [/[\u0600-\u06ff]/, "ar"],
  [/[\u0590-\u05ff]/, "he"],
  [/[\u3040-\u30ff]/, "ja"],
  [/[\u4e00-\u9fff]/, "zh"],
  [/[\u0400-\u04ff]/, "ru"],
];

/** Function words that occur in nearly every sentence of one language and rarely in the others. */
const FUNCTION_WORDS: Record<string, string[]> = {
  en: "the and is are you your i my to of it this that what how can do does with for have not we our please there".split(" "),
  es: "el la los las es y de que en un una por para con mi tu cómo qué puedo tengo quiero hola gracias está son del pero".split(" "),
  fr: "le la les est et de des que en un une pour avec mon je vous comment quoi puis ai bonjour merci pas ce du sur".split(" "),
  de: "der die das ist und zu ich sie wie was mein nicht mit ein eine für kann ich habe hallo danke bitte auf den dem".split(" "),
  pt: "o a os as é e de que em um uma para com meu você como posso tenho quero olá obrigado não do da está são".split(" "),
  it: "il lo la gli le è e di che in un una per con mio come posso ho voglio ciao grazie non sono del della".split(" "),
  nl: "de het een is en van ik je jij mijn hoe wat kan niet met voor zijn hallo bedankt dank graag op".split(" "),
};

const LEXICON = new Map<string, string[]>();
for (const [lang, words] of Object.entries(FUNCTION_WORDS)) {
  for (const w of words) LEXICON.set(w, [...(LEXICON.get(w) ?? []), lang]);
}

/** Letters only some languages use: strong evidence on their own. */
const DISTINCT_LETTERS: [RegExp, string][] = [
  [/[ñ¿¡]/i, "es"],
  [/[ßäöü]/i, "de"],
  [/[ãõ]/i, "pt"],
  [/[œçèêë]/i, "fr"],
];

/**
 * The ISO 639-1 language of `text`, or `fallback` when the words give no clear winner (a
 * single product name, a number, an emoji).
 */
export function detectLanguage(text: string, fallback = "en"): string {
  for (const [pattern, lang] of SCRIPTS) if (pattern.test(text)) return lang;
  const scores = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[\p{L}']+/gu) ?? []) {
    const langs = LEXICON.get(word);
    if (!langs) continue;
    for (const l of langs) scores.set(l, (scores.get(l) ?? 0) + 1 / langs.length);
  }
  for (const [pattern, lang] of DISTINCT_LETTERS) if (pattern.test(text)) scores.set(lang, (scores.get(lang) ?? 0) + 1.5);
  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < 1) return fallback;
  if (second && best[1] - second[1] < 0.5) return scores.has(fallback) && scores.get(fallback) === best[1] ? fallback : best[0];
  return best[0];
}
