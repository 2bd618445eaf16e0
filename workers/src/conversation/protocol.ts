/**
 * The conversation WebSocket protocol of API.md: frames a client may send (validated here) and
 * the events every socket of a conversation receives.
 */
import { z } from "zod";
import { MAX_MESSAGE_CHARS } from "./sanitize";

/** Largest frame accepted; a full 4,000-character message in JSON fits with room to spare. */
export const MAX_FRAME_BYTES = 32_768;
const CLIENT_ID = z.string().min(1).max(100);

/** A frame a client sends. Unknown types and fields are refused with an `error` event. */
export const ClientFrame = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("message"),
    content: z.string().max(MAX_MESSAGE_CHARS * 2), // sanitising trims; the exact limit is checked after
    client_id: CLIENT_ID.optional(),
  }),
  z.strictObject({ type: z.literal("typing") }),
  z.strictObject({ type: z.literal("stop") }),
  z.strictObject({ type: z.literal("resume"), after: z.string().max(100).nullable().optional() }),
  z.strictObject({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Who wrote a message. */
export type SenderType = "visitor" | "assistant" | "human_agent" | "system";
/** Life of a message: assistant answers stream first; stopped and failed keep their partial text. */
export type MessageStatus = "complete" | "streaming" | "stopped" | "failed";

/** One cited passage of an answer. */
export interface Source {
  document_id: string;
  title: string;
  chunk_id: string;
  score: number;
  snippet: string;
}

/** A message as the API and the socket show it. */
export interface MessageView {
  id: string;
  conversation_id: string;
  seq: number;
  sender_type: SenderType;
  sender_id: string | null;
  /** A human agent's display name; null for everyone else. */
  sender_name: string | null;
  content: string;
  status: MessageStatus;
  sources: Source[];
  confidence: number | null;
  tokens_used: number;
  latency_ms: number | null;
  cost_usd: number;
  model: string | null;
  client_id: string | null;
  language: string | null;
  created_at: string;
}

/** An escalation as the API shows it. */
export interface EscalationView {
  id: string;
  conversation_id: string;
  reason: "low_confidence" | "user_request" | "no_match" | "negative_sentiment";
  note: string | null;
  status: "open" | "resolved";
  ticket_id: string | null;
  created_at: string;
}

/** Conversation status of API.md. */
export type ConversationStatus = "active" | "resolved" | "escalated";

/** Events the server sends to every socket (and, as SSE, to REST streams). */
export type ServerEvent =
  | { type: "ack"; client_id: string | null; message_id: string }
  | { type: "typing"; sender_type: "assistant" | "human_agent" | "visitor" }
  | { type: "delta"; message_id: string; delta: string; seq: number }
  | { type: "response"; message: MessageView }
  | { type: "message"; message: MessageView }
  | { type: "agent_message"; message: MessageView }
  | { type: "escalation"; escalation_id: string; ticket_id: string | null; reason: EscalationView["reason"] }
  | { type: "status"; status: ConversationStatus; human_takeover: boolean }
  | {
      type: "error";
      code: string;
      message: string;
      /** The answer this error is about; its `response` follows. */
      message_id?: string;
      /** The visitor message refused (`rate_limited`): it was not stored, or will not be answered. */
      client_id?: string | null;
      /** With `rate_limited`: seconds until a retry can succeed. */
      retry_after?: number;
      /** With `rate_limited`: which limit refused (`conversation`, `visitor`, `workspace`, `model_tokens`). */
      window?: string;
    };
