/**
 * Procedures: actions a visitor's words run without a model. Pure functions, no I/O.
 *
 * An action takes part when it is enabled, only reads (a change waits for the visitor's
 * confirmation in the model's tool loop), and has trigger phrases. It is picked when one of
 * its phrases is in the visitor's text (every word of the phrase present as a whole word, in
 * any order, case, accents and punctuation aside, a plural or simple inflection allowed) and
 * every required parameter the visitor must supply is found by its pattern. Among several,
 * the one whose phrase matched the most words wins. Its answer is the action's
 * `answer_template` with `{field}` filled from the result's fields and the arguments, or,
 * without a template (or with a field missing), the result's fields as "field: value" lines.
 */
import { PATTERN_INPUT_MAX_CHARS, patternProblem } from "./action-rules";
import { identityBindings, propertyType, requiredOf, type ParameterSchema } from "./parameters";

/** What matching needs of an action. */
export interface ProcedureAction {
  id: string;
  name: string;
  enabled: boolean;
  mutating: boolean;
  parameters: ParameterSchema;
  triggers: { phrases: string[]; patterns: Record<string, string> } | null;
}

/** The action picked and the arguments read from the visitor's text. */
export interface ProcedureMatch<A extends ProcedureAction = ProcedureAction> {
  action: A;
  arguments: Record<string, unknown>;
}

/** Endings removed before comparing words, per language (longest first); others use English's. */
const SUFFIXES: Record<string, readonly string[]> = {
  en: ["ing", "es", "ed", "s"],
  de: ["ern", "en", "er", "es", "e", "n", "s"],
  es: ["es", "os", "as", "s"],
  pt: ["oes", "es", "os", "as", "s"],
  fr: ["es", "x", "s", "e"],
};
/**
 * Small words a phrase may hold that the visitor may leave out or spell another way ("where's
 * my order" for "where is my order"); the phrase's other words must all be there.
 */
const FILLER_WORDS: Record<string, ReadonlySet<string>> = {
  en: new Set(["is", "are", "am", "my", "the", "a", "an", "of", "for", "to", "me", "i", "please", "your", "our", "do", "does", "can", "you"]),
  de: new Set(["ist", "sind", "mein", "meine", "meiner", "meinen", "der", "die", "das", "den", "dem", "des", "ein", "eine", "bitte", "ich", "mir", "mich"]),
  es: new Set(["es", "esta", "mi", "mis", "el", "la", "los", "las", "un", "una", "de", "del", "por", "favor"]),
  fr: new Set(["est", "mon", "ma", "mes", "le", "la", "les", "un", "une", "de", "du", "des", "svp"]),
  pt: new Set(["e", "esta", "meu", "minha", "o", "a", "os", "as", "um", "uma", "de", "do", "da", "por", "favor"]),
};

/** Shortest stem an ending is removed to, so short words stay whole. */
const MIN_STEM = 3;

/** Lower case, accents removed, punctuation turned to spaces, split into words. */
export function wordsOf(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function stem(word: string, language: string): string {
  for (const suffix of SUFFIXES[language] ?? SUFFIXES.en ?? []) {
    if (word.length - suffix.length >= MIN_STEM && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  }
  return word;
}

/**
 * How many words of `phrase` are in the text, when all its words that carry meaning are (its
 * filler words may be missing); 0 when the phrase does not match.
 */
export function phraseScore(phrase: string, textStems: ReadonlySet<string>, language: string): number {
  const words = wordsOf(phrase);
  const fillers = FILLER_WORDS[language] ?? FILLER_WORDS.en ?? new Set<string>();
  const content = words.filter((w) => !fillers.has(w));
  const needed = content.length > 0 ? content : words;
  if (needed.length === 0 || !needed.every((w) => textStems.has(stem(w, language)))) return 0;
  return words.filter((w) => textStems.has(stem(w, language))).length;
}

function coerce(value: string, type: string | undefined): unknown {
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * Picks the procedure the visitor's text asks for, with its arguments, or null. `language` is
 * the conversation's (`en`, `de`, …), used for word endings.
 */
export function matchProcedure<A extends ProcedureAction>(actions: readonly A[], visitorText: string, language: string): ProcedureMatch<A> | null {
  const text = visitorText.slice(0, PATTERN_INPUT_MAX_CHARS);
  const lang = language.toLowerCase().slice(0, 2);
  const stems = new Set(wordsOf(text).map((w) => stem(w, lang)));
  let best: { match: ProcedureMatch<A>; score: number } | null = null;
  for (const action of actions) {
    if (!action.enabled || action.mutating || !action.triggers || action.triggers.phrases.length === 0) continue;
    const score = Math.max(...action.triggers.phrases.map((p) => phraseScore(p, stems, lang)));
    if (score === 0 || (best && best.score >= score)) continue;
    const bound = identityBindings(action.parameters);
    const args: Record<string, unknown> = {};
    for (const [param, source] of Object.entries(action.triggers.patterns)) {
      if (patternProblem(source)) continue; // checked at save time; a stored bad one is skipped, never run
      const m = new RegExp(source, "iu").exec(text);
      const value = m ? (m[1] ?? m[0]).trim() : "";
      if (value) args[param] = coerce(value, propertyType(action.parameters, param));
    }
    const missing = requiredOf(action.parameters).filter((r) => !(r in bound) && !(r in args));
    if (missing.length > 0) continue;
    best = { match: { action, arguments: args }, score };
  }
  return best?.match ?? null;
}

/** Sentences a procedure says when it has no result to give, per language (English otherwise). */
const FALLBACK_TEXT: Record<string, { failed: string; notVerified: string; notFound: string; found: string }> = {
  en: { failed: "I couldn't look that up right now.", notFound: "I couldn't find that. Could you check the number?", notVerified: "I can look that up once you're signed in.", found: "Here is what I found" },
  de: { failed: "Das konnte ich gerade nicht nachsehen.", notFound: "Das konnte ich nicht finden. Stimmt die Nummer?", notVerified: "Das kann ich nachsehen, sobald Sie angemeldet sind.", found: "Das habe ich gefunden" },
  es: { failed: "No he podido consultarlo ahora mismo.", notFound: "No lo he encontrado. ¿Puedes revisar el número?", notVerified: "Puedo consultarlo cuando hayas iniciado sesión.", found: "Esto es lo que encontré" },
  fr: { failed: "Je n'ai pas pu le vérifier pour le moment.", notFound: "Je ne l'ai pas trouvé. Pouvez-vous vérifier le numéro ?", notVerified: "Je peux le vérifier une fois que vous êtes connecté.", found: "Voici ce que j'ai trouvé" },
  pt: { failed: "Não consegui consultar isso agora.", notFound: "Não encontrei isso. Pode verificar o número?", notVerified: "Posso consultar isso assim que você entrar na sua conta.", found: "Aqui está o que encontrei" },
  ar: { failed: "لم أتمكن من التحقق من ذلك الآن.", notFound: "لم أجد ذلك. هل يمكنك التحقق من الرقم؟", notVerified: "يمكنني التحقق من ذلك بعد تسجيل دخولك.", found: "هذا ما وجدته" },
  he: { failed: "לא הצלחתי לבדוק את זה כרגע.", notFound: "לא מצאתי את זה. אפשר לבדוק את המספר?", notVerified: "אוכל לבדוק את זה אחרי שתתחבר.", found: "זה מה שמצאתי" },
};

function textFor(language: string) {
  return FALLBACK_TEXT[language.toLowerCase().slice(0, 2)] ?? (FALLBACK_TEXT.en as (typeof FALLBACK_TEXT)["en"]);
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A flat `{name: value}` of what an answer may use: the result's fields (and their last path segment) and the arguments. */
function fieldsOf(result: unknown, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  if (result && typeof result === "object" && !Array.isArray(result)) {
    for (const [k, v] of Object.entries(result as Record<string, unknown>)) {
      out[k] = v;
      const last = k.split(".").pop();
      if (last && !(last in out)) out[last] = v;
    }
  }
  return out;
}

/**
 * The answer sentence for a procedure's outcome: the template filled, the fields listed, or an
 * honest sentence when the call failed, found nothing (404) or needs a signed-in visitor.
 * Never a made-up value.
 */
export function procedureAnswer(
  outcome: { status: "done"; result: unknown } | { status: "failed"; error: string },
  opts: { template: string | null; arguments: Record<string, unknown>; language: string; notVerified?: boolean; notFound?: boolean },
): string {
  const t = textFor(opts.language);
  if (outcome.status === "failed") return opts.notVerified ? t.notVerified : opts.notFound ? t.notFound : t.failed;
  const fields = fieldsOf(outcome.result, opts.arguments);
  if (opts.template) {
    let missing = false;
    const filled = opts.template.replace(/\{([A-Za-z0-9_.$-]+)\}/g, (_, name: string) => {
      if (!(name in fields) || fields[name] === null || fields[name] === undefined) missing = true;
      return show(fields[name]);
    });
    if (!missing) return filled;
  }
  if (typeof outcome.result === "string") return outcome.result.slice(0, 1_000);
  const lines = Object.entries(outcome.result && typeof outcome.result === "object" ? (outcome.result as Record<string, unknown>) : {})
    .slice(0, 20)
    .map(([k, v]) => `${k}: ${show(v)}`);
  return lines.length > 0 ? `${t.found}:\n${lines.join("\n")}` : t.failed;
}
