/** Messages of a conversation: what visitors send, and the answers with their cited sources. */
import { z } from "@hono/zod-openapi";
import { MAX_CLIENT_ID_CHARS, RAW_MESSAGE_CHARS } from "../protocol-limits";
import { isoTimestamp } from "./common";
import { EscalationSchema } from "./escalations";

/** One cited passage of an answer. */
export const SourceSchema = z
  .object({
    document_id: z.string(),
    title: z.string(),
    chunk_id: z.string(),
    score: z.number(),
    snippet: z.string(),
    /** Where the document came from (a web page, a Notion page), when it has an address. */
    url: z.string().nullable().optional(),
  })
  .openapi("Source");

/** Who wrote a message. */
export const SenderTypeSchema = z.enum(["visitor", "assistant", "human_agent", "system"]);
/** Life of a message: assistant answers stream first; stopped and failed keep their partial text. */
export const MessageStatusSchema = z.enum(["complete", "streaming", "stopped", "failed"]);

/** Where one tool call of an answer ended (`declined`: the visitor refused a confirmation). */
export const ToolCallStatusSchema = z.enum(["running", "done", "failed", "declined"]);

/**
 * JSON values for a call's arguments and result. Nested a fixed depth (four levels) rather than
 * recursively: Durable Object RPC types cannot carry `unknown` or a recursive type.
 */
const JsonLeaf = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const nest = <T extends z.ZodType>(inner: T) => z.union([inner, z.array(inner), z.record(z.string(), inner)]);
const JsonValueSchema = nest(nest(nest(nest(JsonLeaf))));

/** One action an answer ran, with its arguments and result redacted (the result truncated). */
export const ToolCallSchema = z
  .object({
    call_id: z.string(),
    action_id: z.string().nullable(),
    name: z.string(),
    status: ToolCallStatusSchema,
    /** Redacted. */
    arguments: z.record(z.string(), JsonValueSchema),
    /** Redacted and truncated; absent unless the call is done. */
    result: JsonValueSchema.optional(),
    error: z.string().optional(),
  })
  .openapi("ToolCall");

/** A message as the API and the socket show it. */
export const MessageSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    seq: z.number().int(),
    sender_type: SenderTypeSchema,
    sender_id: z.string().nullable(),
    /** A human agent's display name (their profile name); null otherwise. */
    sender_name: z.string().nullable(),
    content: z.string(),
    status: MessageStatusSchema,
    sources: z.array(SourceSchema),
    confidence: z.number().nullable(),
    tokens_used: z.number().int(),
    latency_ms: z.number().int().nullable(),
    cost_usd: z.number(),
    model: z.string().nullable(),
    client_id: z.string().nullable(),
    language: z.string().nullable(),
    /** The actions this answer ran, in order; absent when it ran none. */
    tool_calls: z.array(ToolCallSchema).optional(),
    created_at: isoTimestamp,
  })
  .openapi("Message");

/** `POST /conversations/:id/messages`: a visitor's message, answered whole or streamed. */
export const MessageCreateBody = z
  .strictObject({
    content: z.string().min(1).max(RAW_MESSAGE_CHARS),
    stream: z.boolean().default(false),
    /** Makes the send idempotent: the same id is stored and answered once. */
    client_id: z.string().min(1).max(MAX_CLIENT_ID_CHARS).optional(),
  })
  .openapi("MessageCreate");

/** The answer to a message: the reply (none while a person has taken over) and any escalation. */
export const MessageAnswerSchema = z
  .object({ message: MessageSchema.nullable(), escalation: EscalationSchema.nullable(), human_takeover: z.boolean() })
  .openapi("MessageAnswer");

/** `POST /conversations/:id/agent-messages`: a human agent's reply. */
export const AgentMessageBody = z.strictObject({ content: z.string().min(1).max(RAW_MESSAGE_CHARS) });

/** A message as the API shows it. */
export type Message = z.infer<typeof MessageSchema>;
/** One cited passage of an answer. */
export type Source = z.infer<typeof SourceSchema>;
/** Who wrote a message. */
export type SenderType = z.infer<typeof SenderTypeSchema>;
/** One action an answer ran. */
export type ToolCall = z.infer<typeof ToolCallSchema>;
/** Where a message is in its life. */
export type MessageStatus = z.infer<typeof MessageStatusSchema>;
