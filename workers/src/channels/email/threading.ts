/**
 * Email threading. A thread is known by its first Message-ID (the head of `References`, else
 * `In-Reply-To`, else the message's own id) together with the sender, so one person's thread is
 * one conversation. Our answers carry Message-IDs naming the conversation, so a reply that keeps
 * only `In-Reply-To` still finds its way back.
 */
import { randomBase62 } from "../../lib/ids";
import { domainOf, parseMessageIds } from "./addresses";

/** The threading headers of one inbound email. */
export interface ThreadHeaders {
  messageId: string | null;
  inReplyTo: string | null;
  references: string | null;
}

/** What threading decided for an inbound email. */
export interface Thread {
  /** `conversations.external_ref`: sender and thread root. */
  externalRef: string;
  /** A conversation named by one of our own Message-IDs in the headers, if any. */
  conversationHint: string | null;
  /** The thread's ids, oldest first, ending with this message: the next `References`. */
  references: string[];
  /** This message's id (for `In-Reply-To`), or null when it had none. */
  messageId: string | null;
}

const OUR_MESSAGE_ID = /^<(conv_[0-9A-Za-z]{8,64})\.[0-9A-Za-z]+@[^>]+>$/;
/** At most this many ids are carried in `References` (long threads trim the middle). */
const MAX_REFERENCES = 20;

/** Threads an inbound email from `sender`. */
export function threadOf(sender: string, h: ThreadHeaders): Thread {
  const messageId = parseMessageIds(h.messageId)[0] ?? null;
  const references = parseMessageIds(h.references);
  const inReplyTo = parseMessageIds(h.inReplyTo);
  const root = references[0] ?? inReplyTo[0] ?? messageId ?? `<${randomBase62(20)}@inbound.invalid>`;
  let hint: string | null = null;
  for (const id of [...inReplyTo, ...references].reverse()) {
    const match = OUR_MESSAGE_ID.exec(id);
    if (match) {
      hint = match[1]!;
      break;
    }
  }
  const chain = [...new Set([...references, ...inReplyTo.filter((id) => !references.includes(id)), ...(messageId ? [messageId] : [])])];
  const trimmed = chain.length > MAX_REFERENCES ? [chain[0]!, ...chain.slice(-(MAX_REFERENCES - 1))] : chain;
  return { externalRef: `${sender}|${root}`, conversationHint: hint, references: trimmed, messageId };
}

/** A Message-ID for an answer in `conversationId`, on the domain of the address it is sent from. */
export function outgoingMessageId(conversationId: string, fromAddress: string): string {
  return `<${conversationId}.${randomBase62(16)}@${domainOf(fromAddress)}>`;
}

/** `Re: subject`, without piling up prefixes. */
export function replySubject(subject: string): string {
  const clean = subject.trim() || "Your question";
  return /^(re|aw|sv|antw|r):/i.test(clean) ? clean : `Re: ${clean}`;
}
