import { foldText } from "./terms";

/**
 * What kind of fact a question asks for, read from its form ("how long" wants a duration,
 * "where" a place or a path, "what's your phone number" a phone number), and whether a sentence
 * states a fact of that kind. The `extractive` model answers only with sentences of the asked
 * type, and says it does not know when none of the retrieved sentences has one: the nearest
 * sentence about warranty claims is not an answer to "what's your phone number?". Patterns, not
 * a model, for English, Spanish, French, German and Portuguese (the widget's languages); a
 * question in another language, or of another form, asks for no particular type.
 */

/** A kind of fact an answer can state. */
export type AnswerType =
  | "duration"
  | "time"
  | "amount"
  | "quantity"
  | "place"
  | "steps"
  | "phone"
  | "email"
  | "contact"
  | "schedule";

/** What a question asks for. */
export interface QuestionForm {
  /** Any of these answers it; empty when the form asks for no particular type (yes/no, "what is"). */
  types: AnswerType[];
  /** The question with the words that only say what is asked ("how long", "phone number") blanked out: what is left is its topic. */
  topicText: string;
}

interface FormRule {
  /** Matches the question's form on folded (lower-case, accent-free) text; the match is blanked out of the topic. */
  pattern: RegExp;
  types: AnswerType[];
  /** The form does not apply when this also matches (e.g. "change MY email address" is not asking for ours). */
  unless?: RegExp;
  /** The words blanked out of the topic, when not the whole match (a match may span topic words). */
  cue?: RegExp;
}

/** Words that make a contact noun the visitor's own, not the business's. */
const OWN = /\b(my|mine|mi|mis|mon|ma|mes|mein|meine|meinen|meiner|meu|minha|meus|minhas)\b/;

/** Question forms, most specific first; every matching form adds its types. */
const FORMS: readonly FormRule[] = [
  {
    pattern:
      /\b(?:opening|business|office|store|shop|support|service|working)\s+(?:hours|times)\b|\bhours\s+of\s+(?:operation|business)\b|\bwhen\s+(?:are|is)\s+(?:you|the\s+\w+|it|they)\s+(?:open|closed)\b|\bwhat\s+time\s+(?:do|does|are)\s+(?:you|they|the\s+\w+)\s+(?:open|close)\b|\b(?:are|is)\s+(?:you|the\s+\w+)\s+open\b|\bhorarios?(?:\s+de\s+(?:atencion|apertura|funcionamento|atendimento))?\b|\bhoraires?(?:\s+d.ouverture)?\b|\bheures\s+d.ouverture\b|\boffnungszeit(?:en)?\b|\bgeschaftszeit(?:en)?\b|\bwann\s+(?:haben|sind)\s+sie\s+(?:geoffnet|offen)\b|\bque\s+horas\s+(?:abrem|abre|fecham)\b|\ba\s+que\s+hora\s+(?:abren|abre|cierran)\b/,
    types: ["schedule"],
  },
  {
    pattern:
      /\b(?:phone|telephone|contact|mobile|hotline|support|customer\s+service)\s+(?:number|line)s?\b|\b(?:phone|telephone|hotline)\b|\bcall\s+(?:you|us|your|the)\b|\bnumero\s+de\s+(?:telefono|telephone|telefone|contacto|contato)\b|\btelefono\b|\btelephone\b|\btelefone\b|\btelefon(?:nummer)?\b|\bllamar(?:os|les)?\b|\bappeler\b|\banrufen\b/,
    types: ["phone"],
    unless: OWN,
  },
  {
    pattern: /\bemail\s+address(?:es)?\b|\badresse\s+(?:e-?mail|electronique)\b|\bcorreo(?:\s+electronico)?\b|\bcourriel\b|\bendereco\s+de\s+e-?mail\b|\be-?mail-?adresse\b|\be-?mail\s+(?:you|us)\b|\bemail\b(?=.*\b(?:your|you|us|vous|votre|ihre|seu|su)\b)/,
    types: ["email"],
    unless: OWN,
  },
  {
    pattern:
      /\b(?:contact|reach|get\s+in\s+touch\s+with|get\s+hold\s+of|talk\s+to|write\s+to)\s+(?:you|us|your|the\s+(?:team|support|company|shop|store))\b|\bcontact\s+(?:details|info|information)\b|\bcontact(?:ar|arte|arles|arnos|o)\b|\bcontacter\b|\bjoindre\b|\bkontakt(?:ieren)?\b|\berreichen\b|\bcontat(?:ar|o)\b/,
    types: ["phone", "email", "contact"],
    unless: OWN,
  },
  {
    pattern:
      /\bhow\s+much\b(?!\s+(?:time|longer)\b)|\b(?:cost|costs|price|prices|pricing|fee|fees|expensive|cheap)\b|\bdo\s+you\s+charge\b|\bcuanto\s+(?:cuesta|cuestan|vale|valen|cobran|cobrais|se\s+paga)\b|\bprecios?\b|\bcoste?s?\b|\bcombien\s+(?:coute|coutent|ca\s+coute|faut-il\s+payer)\b|\bprix\b|\btarifs?\b|\b(?:was|wie\s+viel)\s+kostet\b|\bkosten\b|\bpreis(?:e)?\b|\bquanto\s+(?:custa|custam|pago|cobra|cobram)\b|\bprecos?\b|\bcustos?\b/,
    types: ["amount"],
  },
  {
    // "Is delivery free?", "is there a fee?": only "free" and "fee" say what is asked.
    pattern: /\b(?:is|are)\s+(?:it|there|they|\w+)\s+(?:\w+\s+)?(?:free|a\s+(?:fee|charge))\b|\b(?:es|est|ist|e)\s+(?:\w+\s+)?(?:gratis|gratuit[oae]?|kostenlos)\b/,
    cue: /\b(?:free|fee|charge|gratis|gratuit[oae]?|kostenlos)\b/,
    types: ["amount"],
  },
  {
    pattern:
      /\bhow\s+long\b|\bhow\s+much\s+(?:time|longer)\b|\bhow\s+many\s+(?:days|hours|weeks|months|years|minutes)\b|\bhow\s+(?:soon|quickly|fast)\b|\bcuanto\s+(?:tiempo|tarda|tardan|demora|demoran|dura|duran)\b|\bcuantos\s+(?:dias|horas|semanas|meses)\b|\bcombien\s+de\s+(?:temps|jours|heures|semaines|mois)\b|\bwie\s+(?:lange|schnell)\b|\bwie\s+viele\s+(?:tage|stunden|wochen|monate)\b|\bquanto\s+tempo\b|\bquantos\s+(?:dias|horas|semanas|meses)\b|\bquanto\s+(?:demora|dura)\b/,
    types: ["duration"],
  },
  {
    // "How long does it last": an endurance, told as a time or as an amount of use (km, cycles).
    pattern: /\b(?:how\s+long|wie\s+lange|cuanto|combien\s+de\s+temps|quanto)\b[^?]*\b(?:last|lasts|dura|duran|dure|durent|halt|halten|duram)\b/,
    types: ["quantity"],
    cue: /\b(?:last|lasts|dura|duran|dure|durent|halt|halten|duram)\b/,
  },
  {
    pattern:
      /^\s*(?:(?:and|so|but|ok|okay|hi|hello)\W+)*when\b|\bwhen\s+(?:do|does|did|will|would|can|could|should|is|are|was|were|shall)\b|\bby\s+when\b|\bwhat\s+(?:time|date|day)\b|\bcuando\b|\bquand\b|\bwann\b|\bquando\b|\ba\s+que\s+hora\b|\ba\s+quelle\s+heure\b|\bum\s+wie\s+viel\s+uhr\b/,
    types: ["time"],
  },
  {
    pattern:
      /^\s*(?:(?:and|so|but|ok|okay|hi|hello)\W+)*where\b|\bwhere\s+(?:do|does|did|can|could|is|are|should|will|would|shall)\b|\bwhich\s+(?:page|menu|tab|section|screen|setting|settings|button|link|folder)\b|\bwhat\s+is\s+(?:your|the)\s+address\b|\byour\s+address\b|\blocated\b|\bdonde\b|\badonde\b|\bwo(?:hin)?\b|\bonde\b|\bou\s+(?:est|sont|se|puis|peut|peux|dois|trouver|trouve)\b/,
    types: ["place"],
  },
  {
    pattern:
      /\bhow\s+(?:many|far|big|large|heavy|high|tall|wide|often|much\s+(?:space|storage|weight|power|range|data))\b|\bcuant[oa]s\b|\bcombien\s+de\b|\bwie\s+(?:viele?|weit|oft|schwer|gross)\b|\bquant[oa]s\b/,
    types: ["quantity"],
  },
  {
    pattern:
      /\bhow\s+(?:do|can|could|should|would|may|might|shall)\s+(?:i|we|you|one)\b|\bhow\s+to\b|\bhow\s+(?:is|are)\s+(?:it|this|that)\s+done\b|\bwhat\s+(?:do|should|can|must)\s+(?:i|we)\s+do\b|\bwhat\s+(?:are\s+)?the\s+steps\b|\bsteps?\s+(?:to|for)\b|\bis\s+there\s+(?:a|any)\s+way\s+to\b|\bcomo\s+(?:puedo|podemos|se\s+puede|hago|hacemos|hacer|debo|tengo\s+que|posso|podemos|faco|fazer|devo|se\s+faz)\b|\bque\s+(?:debo|tengo\s+que|hay\s+que|devo|tenho\s+que)\s+(?:hacer|fazer)\b|\bcomment\s+(?:faire|puis-je|puis\s+je|je\s+peux|peut-on|peut\s+on|dois-je|est-ce|obtenir|changer|modifier|annuler|suivre|retourner|renvoyer|contacter|payer|trouver|creer|supprimer|activer|desactiver|utiliser|ajouter|demander)\b|\bque\s+(?:dois|faut)[-\s](?:je|il)\b|\bwie\s+(?:kann|konnen|muss|mache|soll|gehe)\s+(?:ich|man|wir)\b|\bwas\s+(?:muss|soll)\s+ich\s+tun\b|\bwie\s+funktioniert\b|\bo\s+que\s+(?:devo|tenho\s+que)\s+fazer\b/,
    types: ["steps"],
  },
];

/** What `question` asks for: its answer types and its topic text. */
export function questionForm(question: string): QuestionForm {
  const folded = foldText(question).replace(/[’`´]/g, "'");
  const types = new Set<AnswerType>();
  let topicText = folded;
  for (const rule of FORMS) {
    if (!rule.pattern.test(folded)) continue;
    if (rule.unless?.test(folded)) continue;
    for (const t of rule.types) types.add(t);
    topicText = topicText.replace(new RegExp((rule.cue ?? rule.pattern).source, "g"), " ");
  }
  // A request for contact details or opening hours is not one for instructions: "how do I
  // contact you" wants a number or an address, not the nearest sentence telling to do something.
  if (types.has("contact") || types.has("phone") || types.has("email") || types.has("schedule")) types.delete("steps");
  // "how long" asks for a duration, "when" for a time; a duration answers "when" too.
  if (types.has("time")) types.add("duration");
  if (types.has("duration")) types.add("time");
  return { types: [...types], topicText: topicText.replace(/\s+/g, " ").trim() };
}

// ---------------------------------------------------------------------------------------------
// Does a sentence state a fact of a type? Run on the sentence as written (case matters for a
// few: imperatives at the start, place names), and on its folded form.

const NUMBER_WORD =
  "(?:\\d+(?:[.,]\\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|sixty|ninety|hundred|a\\s+few|few|several|couple\\s+of|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|quince|veinte|treinta|une|deux|trois|quatre|cinq|sept|huit|neuf|dix|quinze|vingt|trente|quelques|ein|eine|einen|einem|zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn|zwolf|vierzehn|zwanzig|dreissig|wenige|einige|um|uma|dois|duas|tres|quatro|seis|oito|nove|dez|vinte|trinta|alguns|algumas|unos|unas)";
const TIME_UNIT =
  "(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|nights?|weeks?|months?|years?|yrs?|segundos?|minutos?|horas?|dias?|semanas?|mes|meses|anos?|annees?|ans?|heures?|jours?|semaines?|mois|sekunden?|minuten?|stunden?|tage?n?|werktage?n?|wochen?|monate?n?|jahre?n?|werktagen?)";
const DURATION = new RegExp(
  `\\b${NUMBER_WORD}(?:\\s*(?:-|–|to|or|and|a|à|a|bis|oder|ou|e|y|et)\\s*${NUMBER_WORD})?[\\s-]*(?:(?:working|business|calendar|full|habiles|laborables|uteis|ouvres|ouvrables)\\s+)?${TIME_UNIT}\\b|\\b(?:same|next|following)[\\s-](?:day|business\\s+day|working\\s+day)\\b|\\bovernight\\b|\\bimmediately\\b|\\binstantly\\b|\\bright\\s+away\\b|\\bstraight\\s+away\\b|\\bmismo\\s+dia\\b|\\bmeme\\s+jour\\b|\\bselben\\s+tag\\b|\\bmesmo\\s+dia\\b|\\binmediatamente\\b|\\bimmediatement\\b|\\bsofort\\b|\\bimediatamente\\b`,
);
const MONTHS =
  "january|february|march|april|may|june|july|august|september|october|november|december|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|januar|februar|marz|juni|juli|oktober|dezember|janeiro|fevereiro|marco|maio|junho|julho|setembro|outubro|novembro|dezembro";
const WEEKDAYS =
  "monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?|lunes|martes|miercoles|jueves|viernes|sabados?|domingos?|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|werktags|segunda|terca|quarta|quinta|sexta|mon|tue|wed|thu|fri|sat|sun";
const CLOCK = "\\b\\d{1,2}(?::\\d{2}|[.h]\\d{2})\\s*(?:am|pm|h|uhr)?\\b|\\b\\d{1,2}\\s*(?:am|pm|a\\.m\\.|p\\.m\\.|uhr)\\b|\\b(?:noon|midnight|midday)\\b";
// A date or time answers "when"; the weekday abbreviations (the last seven of WEEKDAYS) are left
// out here, as "sun" or "sat" alone are more often words than days.
const TIME = new RegExp(
  `${CLOCK}|\\b(?:${MONTHS})\\b|\\b(?:${WEEKDAYS.split("|").slice(0, -7).join("|")})\\b|\\b\\d{1,2}[./-]\\d{1,2}(?:[./-]\\d{2,4})?\\b|\\b(?:19|20)\\d{2}\\b|\\bas\\s+soon\\s+as\\b|\\b(?:today|tomorrow|tonight)\\b|\\ben\\s+cuanto\\b|\\btan\\s+pronto\\b|\\bdes\\s+que\\b|\\bsobald\\b|\\bassim\\s+que\\b|\\bhoy\\b|\\bmanana\\b|\\baujourd.hui\\b|\\bdemain\\b|\\bheute\\b|\\bmorgen\\b|\\bhoje\\b|\\bamanha\\b`,
);
const AMOUNT =
  /[$€£¥₹]\s?\d|\d\s?[$€£¥₹]|\b\d+(?:[.,]\d+)*\s*(?:eur|usd|gbp|chf|cad|aud|jpy|sek|nok|dkk|pln|brl|mxn|euros?|dollars?|pounds?|cents?|francs?|reais|real|pesos?)\b|\b(?:eur|usd|gbp|chf)\s?\d|\b\d+(?:[.,]\d+)?\s?(?:%|percent|per\s+cent|por\s+ciento|pour\s+cent|prozent|por\s+cento)|\bfree(?:\s+of\s+charge)?\b|\bno\s+(?:cost|charge|fee)\b|\bat\s+no\s+(?:extra\s+)?cost\b|\bgratis\b|\bgratuit[oae]?s?\b|\bsin\s+(?:coste|costo|cargo)\b|\bsans\s+frais\b|\bkostenlos\b|\bkostenfrei\b|\bumsonst\b|\bsem\s+custo\b|\b(?:costs?|costing|priced|price\s+is|fee\s+is|charges?)\b[^.;]{0,25}\d/;
const QUANTITY = /\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|thousand|dozen|uno|dos|tres|cuatro|cinco|diez|cien|mil|deux|trois|quatre|cinq|dix|cent|zwei|drei|vier|funf|zehn|hundert|tausend|dois|duas|quatro|dez|cem)\b/;
const PHONE = /(?:\+|\b00)?\(?\d[\d\s()./-]{5,}\d/g;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/;
const URL = /\bhttps?:\/\/\S+|\bwww\.\S+|\b[\w-]+\.(?:com|org|net|io|co|app|dev|eu|de|fr|es|pt|uk|us|info|help|shop|store)(?:\/\S*)?\b/;
const PATH = /→|->|›|»|\s>\s|\s\/\s(?=\p{Lu})/u;
const ADDRESS =
  /\b\d+[a-z]?,?\s+(?:[\p{L}'-]+\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|dr|way|square|place)\b|\b(?:calle|avenida|avda|plaza|rue|boulevard|place|strasse|str|platz|weg|allee|rua|praca|travessa)\b\s*\.?\s*[\p{L}\d]|\bpostal\s+code\b|\bzip\b|\bpo\s+box\b/u;
const PLACE_WORD =
  /\b(?:page|menu|tab|section|settings|screen|panel|sidebar|toolbar|dashboard|folder|button|link|app|website|site|portal|profile|warehouse|office|store|shop|branch|address|located|pagina|menu|pestana|seccion|ajustes|configuracion|boton|enlace|tienda|oficina|almacen|onglet|parametres|bouton|lien|boutique|bureau|entrepot|seite|registerkarte|einstellungen|schaltflache|geschaft|buro|lager|aba|secao|configuracoes|botao|loja|escritorio|armazem)\b/;
/** A capitalised word after a preposition of place: "in Leipzig", "at Gate B", "en Madrid". */
const NAMED_PLACE = /\b(?:in|at|from|near|en|dans|im|am|bei|em)\s+\p{Lu}\p{L}+/u;
const SCHEDULE = new RegExp(
  `\\b(?:${WEEKDAYS})\\b|\\b\\d{1,2}(?::\\d{2}|[.h]\\d{2})?\\s*(?:am|pm|h|uhr)?\\s*(?:-|–|to|until|till|a|à|bis|as|ate)\\s*\\d{1,2}(?::\\d{2}|[.h]\\d{2})?\\s*(?:am|pm|h|uhr)\\b|\\b\\d{1,2}(?::\\d{2}|[.h]\\d{2})\\s*(?:-|–|to|until|till|a|à|bis|as|ate)\\s*\\d{1,2}(?::\\d{2}|[.h]\\d{2})|\\b24\\s*/\\s*7\\b|\\b24\\s+hours\\s+a\\s+day\\b|\\baround\\s+the\\s+clock\\b`,
);
/** Words that start an instruction: the imperative of the verbs help articles are written with. */
const IMPERATIVE_START = new RegExp(
  "^(?:please\\s+|then\\s+|first,?\\s+|next,?\\s+|finally,?\\s+|simply\\s+|just\\s+)?(?:add|allow|ask|attach|call|change|check|choose|click|close|confirm|connect|contact|copy|create|delete|disable|do|don't|double-click|download|drag|edit|email|enable|enter|fill|find|follow|go|head|hit|hold|include|insert|install|keep|leave|let|log|look|make|mark|move|navigate|note|open|pack|paste|pick|place|plug|press|print|put|read|register|remove|replace|request|reset|restart|return|right-click|run|save|scroll|search|select|send|set|share|sign|start|store|submit|switch|take|tap|tell|tick|toggle|try|turn|type|uncheck|unplug|update|upload|use|visit|wait|write|abre|abra|accede|acceda|anade|anada|elige|elija|entra|entre|envia|envie|escribe|escriba|haz|haga|inicia|inicie|introduce|introduzca|pulsa|pulse|rellena|rellene|selecciona|seleccione|solicita|solicite|usa|utiliza|utilice|ve|vaya|contacta|contacte|ouvrez|allez|cliquez|selectionnez|choisissez|saisissez|entrez|indiquez|envoyez|utilisez|ajoutez|connectez|rendez|contactez|remplissez|suivez|lancez|appuyez|demandez|commencez|acesse|adicione|clique|digite|envie|escolha|escreva|inicie|preencha|pressione|selecione|siga|solicite|toque|use|va|abra|entre)\\b",
);
const MODAL_INSTRUCTION =
  /\b(?:you\s+(?:can|could|may|need\s+to|have\s+to|must|should|will\s+need\s+to|just)|you'll\s+need|to\s+do\s+(?:this|so|that)|puedes|puede\s+usted|tienes\s+que|debes|hay\s+que|vous\s+pouvez|vous\s+devez|il\s+faut|sie\s+konnen|sie\s+mussen|man\s+kann|voce\s+pode|voce\s+deve|e\s+preciso|basta)\b/;
const INSTRUCTION_WORD =
  /\b(?:click|tap|select|press|go\s+to|choose|navigate\s+to|log\s+in|sign\s+in|by\s+\w+ing|haz\s+clic|cliquez|klicken|clique|under|via|en\s+la\s+seccion|dans\s+l.onglet|unter)\b/;
/** The imperative of German help texts: "Öffnen Sie …", "Klicken Sie …". */
const GERMAN_IMPERATIVE = /^(?:bitte\s+)?\p{L}+en\s+sie\b/u;

/** Whether a phone-like run of digits is really a phone number (7 to 15 digits, not a range or a date). */
function hasPhone(text: string): boolean {
  for (const m of text.matchAll(PHONE)) {
    const digits = m[0].replace(/\D/g, "").length;
    if (digits >= 7 && digits <= 15 && !/^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(m[0].trim())) return true;
  }
  return false;
}

/** True when `sentence` states a fact of `type`. */
export function hasAnswerType(sentence: string, type: AnswerType): boolean {
  const folded = foldText(sentence);
  switch (type) {
    case "duration":
      return DURATION.test(folded);
    case "time":
      return DURATION.test(folded) || TIME.test(folded);
    case "amount":
      return AMOUNT.test(folded) || /[$€£¥₹]/.test(sentence);
    case "quantity":
      return QUANTITY.test(folded);
    case "phone":
      return hasPhone(sentence);
    case "email":
      return EMAIL.test(sentence);
    case "contact":
      return hasPhone(sentence) || EMAIL.test(sentence) || URL.test(sentence) || /\b(?:contact\s+form|live\s+chat|chat\s+with\s+us|formulario|formulaire|kontaktformular|formulario)\b/.test(folded);
    case "schedule":
      return SCHEDULE.test(folded);
    case "place":
      return URL.test(sentence) || PATH.test(sentence) || ADDRESS.test(folded) || PLACE_WORD.test(folded) || NAMED_PLACE.test(sentence.slice(1));
    case "steps":
      return (
        IMPERATIVE_START.test(folded) ||
        GERMAN_IMPERATIVE.test(folded) ||
        MODAL_INSTRUCTION.test(folded) ||
        INSTRUCTION_WORD.test(folded) ||
        PATH.test(sentence) ||
        URL.test(sentence)
      );
  }
}

/** True when `sentence` states a fact of any of `types` (always true when `types` is empty). */
export function answersType(sentence: string, types: readonly AnswerType[]): boolean {
  return types.length === 0 || types.some((t) => hasAnswerType(sentence, t));
}
