/**
 * The rows of a conversation object's tables and how each becomes what the API shows.
 */
import type { ConversationStatus, EscalationView, MessageStatus, MessageView, SenderType, Source, ToolCall } from "./protocol";

/** A row as SqlStorage returns it: its index signature is narrowed once, in the store. */
export type Row = Record<string, SqlStorageValue>;

/** The conversation's own row in its object. */
export interface ConversationRow {
  id: string;
  workspace_id: string;
  assistant_id: string;
  channel: string;
  visitor_id: string;
  status: ConversationStatus;
  human_takeover: number;
  satisfaction_score: number | null;
  satisfaction_comment: string | null;
  metadata: string;
  external_ref: string | null;
  language: string | null;
  resolved_at: string | null;
  /** 1 when the visitor proved who they are with the assistant's identity secret. */
  verified: number;
  /** The verified claims as JSON (`{user_id, email?, name?}`), or null. */
  identity: string | null;
  created_at: string;
  updated_at: string;
}

/** A message as its row stores it (`sources` as JSON). */
export interface MessageRow {
  seq: number;
  id: string;
  sender_type: SenderType;
  sender_id: string | null;
  sender_name: string | null;
  content: string;
  status: MessageStatus;
  sources: string;
  confidence: number | null;
  tokens_used: number;
  latency_ms: number | null;
  cost_usd: number;
  model: string | null;
  client_id: string | null;
  language: string | null;
  answer_state: "pending" | "answered" | "skipped" | null;
  reply_to: string | null;
  /** The actions the answer called, as JSON; null when none. */
  tool_calls: string | null;
  created_at: string;
  updated_at: string;
}

/** A new message to store. */
export interface NewMessage {
  id: string;
  sender_type: SenderType;
  sender_id?: string | null;
  sender_name?: string | null;
  content: string;
  status: MessageStatus;
  client_id?: string | null;
  language?: string | null;
  answer_state?: MessageRow["answer_state"];
  /** For answers: the visitor message answered. */
  reply_to?: string | null;
  created_at: string;
}

/** Final fields of an answer when its stream ends. */
export interface AnswerFields {
  content: string;
  status: MessageStatus;
  sources?: Source[];
  confidence?: number | null;
  tokens_used?: number;
  latency_ms?: number | null;
  cost_usd?: number;
  model?: string | null;
  /** The actions the answer called; none stored when empty. */
  tool_calls?: ToolCall[];
}

/** A message row as the API and the sockets show it. */
export function toMessageView(r: MessageRow, conversationId: string): MessageView {
  return {
    id: r.id,
    conversation_id: conversationId,
    seq: r.seq,
    sender_type: r.sender_type,
    sender_id: r.sender_id,
    sender_name: r.sender_name ?? null,
    content: r.content,
    status: r.status,
    sources: JSON.parse(r.sources) as Source[],
    confidence: r.confidence,
    tokens_used: r.tokens_used,
    latency_ms: r.latency_ms,
    cost_usd: r.cost_usd,
    model: r.model,
    client_id: r.client_id,
    language: r.language,
    ...(r.tool_calls ? { tool_calls: JSON.parse(r.tool_calls) as ToolCall[] } : {}),
    created_at: r.created_at,
  };
}

/** An escalation row as the API shows it. */
export function toEscalationView(r: Row, conversationId: string): EscalationView {
  return {
    id: r.id as string,
    conversation_id: conversationId,
    reason: r.reason as EscalationView["reason"],
    note: (r.note as string | null) ?? null,
    status: r.status as EscalationView["status"],
    ticket_id: (r.ticket_id as string | null) ?? null,
    created_at: r.created_at as string,
  };
}
