import { arrayChars, foldText, MEMO_CHARS, onClearTextMemo, stem, TextMemo, words } from "./terms";

/**
 * Topic terms for matching a question with the sentences that answer it: the index terms of
 * `terms.ts`, plus two things customers and help articles disagree on. Phrasal verbs and set
 * phrases become one word ("send it back" → return, "money back" → refund, "log in" → login),
 * and the common words of customer support that mean the same thing meet under one concept
 * ("shipping" and "delivery", "price" and "fee", "remove" and "delete"). The groups are general
 * support vocabulary in the widget's five languages, not the words of any one help centre.
 */

/** Set phrases (on folded text) and what they stand for; `$2` keeps the words between. */
const PHRASES: readonly [RegExp, string][] = [
  [/\b(money|cash)\s+back\b/g, " refund "],
  [/\bpay\s+(me\s+|us\s+)?back\b/g, " refund "],
  [/\b(send|sent|sending|ship|shipped|bring|brought|take|took|mail|mailed|post|posted|give|gave)\s+((?:[\p{L}\p{N}]+\s+){0,3}?)back\b/gu, " return $2 "],
  [/\b(log|logging|logged|sign|signing|signed)\s*(in|on)(to)?\b/g, " login "],
  [/\b(log|logging|logged|sign|signing|signed)\s*(out|off)\b/g, " logout "],
  [/\bsign(ing|ed)?\s*up\b/g, " register "],
  [/\b(ask|asking|asked|apply|applying|applied)\s+for\b/g, " request "],
  [/\bset(ting)?\s*up\b/g, " setup "],
  [/\b(turn|switch)(ing|ed)?\s+on\b/g, " enable "],
  [/\b(turn|switch)(ing|ed)?\s+off\b/g, " disable "],
  [/\bcheck(ing|ed)?\s*out\b/g, " checkout "],
  [/\b(mot|mots)\s+de\s+passe\b/g, " password "],
  [/\be-?mail\b/g, " email "],
];

/**
 * Words of one meaning, first word the concept's name. Deliberately the everyday vocabulary of
 * orders, accounts and payments; ambiguous words ("charge": battery or fee, "bill": invoice or
 * beak) are left out rather than guessed.
 */
const SYNONYM_GROUPS: readonly string[] = [
  "refund refunds refunded refunding reimburse reimbursed reimbursement reembolso reembolsos reembolsar remboursement rembourser rembourse erstattung ruckerstattung erstatten",
  "return returns returned returning devolucion devoluciones devolver retour retours retourner renvoyer retoure rucksendung zurucksenden devolucao devolucoes",
  "shipping ship ships shipped shipment shipments delivery deliveries deliver delivers delivered dispatch dispatched postage envio envios entrega entregas livraison livraisons livrer versand lieferung lieferungen liefern lieferzeit",
  "price prices pricing cost costs fee fees precio precios coste costo costos prix tarif tarifs cout couts preis preise kosten gebuhr gebuhren preco precos custo custos",
  "cancel cancels cancelled canceled cancelling canceling cancellation terminate termination cancelar cancelacion annuler annulation kundigen kundigung stornieren stornierung cancelamento",
  "order orders ordered purchase purchases purchased pedido pedidos commande commandes bestellung bestellungen bestellen encomenda encomendas",
  "tracking track tracked trace seguimiento rastrear rastreo suivi suivre sendungsverfolgung verfolgen rastreio rastreamento",
  "damaged damage broken defective faulty defect danado roto averiado endommage casse defectueux beschadigt kaputt defekt danificado quebrado defeituoso",
  "warranty warranties guarantee guarantees garantia garantias garantie garantien",
  "delete deleting deleted remove removed removing erase erased borrar eliminar supprimer effacer loschen entfernen excluir apagar remover",
  "change changing changed modify modified edit edited update updated alter cambiar modificar editar changer modifier andern bearbeiten alterar mudar",
  "invoice invoices receipt receipts billing factura facturas facture factures rechnung rechnungen quittung fatura faturas",
  "request requests requested requesting solicitar solicitud solicitudes demander demande demandes anfordern anforderung beantragen antrag",
  "password passwords passcode contrasena contrasenas passwort passworter kennwort senha senhas",
  "account accounts cuenta cuentas compte comptes konto konten conta contas",
  "payment payments pay paying paid pago pagos pagar paiement paiements payer zahlung zahlungen zahlen bezahlen pagamento pagamentos",
  "subscription subscriptions membership suscripcion suscripciones abonnement abonnements assinatura assinaturas",
  "discount discounts coupon coupons voucher vouchers descuento descuentos cupon remise reduction rabatt gutschein desconto descontos",
];

const CONCEPT_OF: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const group of SYNONYM_GROUPS) {
    const [head, ...rest] = group.split(" ");
    if (!head) continue;
    const concept = stem(head);
    for (const word of [head, ...rest]) map.set(stem(word), concept);
  }
  return map;
})();

/** `text` folded, with its set phrases rewritten to the word they stand for. */
export function rewritePhrases(text: string): string {
  let out = foldText(text);
  for (const [pattern, replacement] of PHRASES) out = out.replace(pattern, replacement);
  return out;
}

/** The concept a stemmed term belongs to: itself when it has no synonyms here. */
export function conceptOf(term: string): string {
  return CONCEPT_OF.get(term) ?? term;
}

/** The topic terms of `text`, in order: phrases rewritten, stopwords dropped, stemmed, synonyms merged. */
export function conceptTerms(text: string): string[] {
  return conceptMemo.get(text).slice();
}

const conceptMemo = new TextMemo(MEMO_CHARS, (text) => words(rewritePhrases(text)).map((w) => conceptOf(stem(w))), arrayChars);
onClearTextMemo(() => conceptMemo.clear());

/**
 * Words that fill out a question without naming its topic ("how does it work", "can you make
 * it…"), beyond the stopwords of `terms.ts`: kept out of the topic a question must be answered on.
 */
const QUESTION_FILLER: ReadonlySet<string> = new Set(
  [
    "make get go happen happens work works let try put see like thing things something anything stuff actually really",
    "exactly still ever anyone someone somebody anybody question wondering wonder know possible currently usually",
    "making made achieve achieving somehow now already anyway whatever certain",
    "receive receives received receiving recibir recibo recibe recibimos recevoir recois recoit erhalten erhalte bekomme bekommen receber recebo recebe",
    "funciona funcionan fonctionne fonctionnent funktioniert funktionieren hacer faire machen fazer",
  ]
    .join(" ")
    .split(" ")
    .map(stem),
);

/** The topic terms of a question's topic text (see `questionForm`): concept terms without question filler. */
export function questionTopicTerms(topicText: string): string[] {
  return words(rewritePhrases(topicText))
    .map(stem)
    .filter((t) => !QUESTION_FILLER.has(t))
    .map(conceptOf);
}

/**
 * The words the set phrases of `text` stand for ("get my money back" → refund), for a search
 * query: the help article says "refund", and retrieval matches words, not phrases.
 */
export function phraseExpansions(text: string): string[] {
  const folded = foldText(text);
  const out = new Set<string>();
  for (const [pattern, replacement] of PHRASES) {
    if (!new RegExp(pattern.source, pattern.flags.replace("g", "")).test(folded)) continue;
    const word = replacement.replace(/\$\d/g, "").trim();
    if (word && !folded.includes(word)) out.add(word);
  }
  return [...out];
}
