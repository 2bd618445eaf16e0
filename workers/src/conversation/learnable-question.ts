import { asksForHuman } from "./intent";

/**
 * Which of a conversation's visitor messages a person answered when they resolve it with an
 * article: the question the AI could not answer. A pure decision, tested without a runtime; the
 * conversation object only reads the rows.
 */

/** A visitor message, as the decision reads it. */
export interface VisitorQuestion {
  id: string;
  content: string;
  created_at: string;
}

/** The latest escalation of the conversation, as the decision reads it. */
export interface EscalationAnchor {
  /** The visitor message whose answer opened it; null when someone escalated by hand. */
  question_id: string | null;
  created_at: string;
}

/**
 * The question the AI could not answer: the visitor message that led to the latest escalation
 * (the one it was opened for, or else the last one sent before it was opened), or, without an
 * escalation, the last visitor message. A request for a person ("can I talk to a human?") says
 * nothing about the article, so the search walks back past it to the question before. Null
 * when no message qualifies. `messages` are oldest first.
 */
export function questionToLearn(messages: readonly VisitorQuestion[], escalation: EscalationAnchor | null): VisitorQuestion | null {
  let anchor = messages.length - 1;
  if (escalation) {
    const opened = escalation.question_id === null ? -1 : messages.findIndex((m) => m.id === escalation.question_id);
    anchor = opened >= 0 ? opened : lastIndexWhere(messages, (m) => m.created_at <= escalation.created_at);
  }
  for (let i = anchor; i >= 0; i--) {
    const m = messages[i];
    if (m && m.content.trim() !== "" && !asksForHuman(m.content)) return m;
  }
  return null;
}

function lastIndexWhere<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i;
  return -1;
}
