/**
 * An escalated conversation told to a person: a readable transcript and a short summary
 * (reason, channel, the question and the latest message), the same for Zendesk, Slack and email.
 */
import type { MessageView } from "../../../schema/protocol";
import type { ConversationView } from "../conversation/conversation-view";

/** Messages read from the conversation for a transcript. */
export const TRANSCRIPT_MESSAGES = 200;
/** Zendesk comments take up to 64 KB; transcripts are cut well before. */
const MAX_TRANSCRIPT_CHARS = 30_000;

const SPEAKERS: Record<MessageView["sender_type"], string> = {
  visitor: "Customer",
  assistant: "Assistant",
  human_agent: "Agent",
  system: "System",
};

const REASONS: Record<string, string> = {
  low_confidence: "the assistant was not confident in its answer",
  user_request: "the customer asked for a person",
  no_match: "the help center had no answer",
  negative_sentiment: "the customer sounds frustrated",
};

/** Everything a notification says about an escalation. */
export interface EscalationBrief {
  conversation: ConversationView;
  escalationId: string;
  reason: string;
  reasonText: string;
  /** The customer's first question. */
  question: string;
  /** The latest message from the customer. */
  lastMessage: string;
  transcript: string;
  /** Where the conversation opens in the dashboard. */
  dashboardUrl: string;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The transcript as plain text, oldest first. */
export function formatTranscript(messages: MessageView[]): string {
  const lines = messages
    .filter((m) => m.content.trim() !== "")
    .map((m) => `[${m.created_at.slice(0, 16).replace("T", " ")} UTC] ${SPEAKERS[m.sender_type]}: ${m.content}`);
  let text = lines.join("\n\n");
  if (text.length > MAX_TRANSCRIPT_CHARS) text = `…\n\n${text.slice(-MAX_TRANSCRIPT_CHARS)}`;
  return text;
}

/** The brief of an escalation from its conversation and messages. */
export function briefOf(
  conversation: ConversationView,
  messages: MessageView[],
  escalation: { id: string; reason: string },
  dashboardBaseUrl: string,
): EscalationBrief {
  const fromCustomer = messages.filter((m) => m.sender_type === "visitor");
  return {
    conversation,
    escalationId: escalation.id,
    reason: escalation.reason,
    reasonText: REASONS[escalation.reason] ?? escalation.reason,
    question: clip(fromCustomer[0]?.content ?? "(no message)", 500),
    lastMessage: clip(fromCustomer.at(-1)?.content ?? "(no message)", 500),
    transcript: formatTranscript(messages),
    dashboardUrl: `${dashboardBaseUrl.replace(/\/+$/, "")}/conversations/${conversation.id}`,
  };
}
