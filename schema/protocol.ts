/**
 * The conversation WebSocket protocol of API.md, shared by the Worker, the widget and the
 * dashboard: the frames a client sends and the events every socket of a conversation receives
 * (the REST streams carry the same events as SSE). The Worker validates client frames with these
 * schemas; clients take the types only (`import type`), so no validation code enters their
 * bundles. Messages, sources and escalations are the REST API's own schemas.
 */
import { z } from "zod";
import { ConversationStatusSchema } from "./api/conversations";
import { EscalationReasonSchema, EscalationSchema } from "./api/escalations";
import { MessageSchema, SenderTypeSchema } from "./api/messages";
import { MAX_CLIENT_ID_CHARS, RAW_MESSAGE_CHARS } from "./protocol-limits";

// The limits the server enforces, and the REST API's views the events carry, from where they are defined.
export { MAX_CLIENT_ID_CHARS, MAX_FRAME_BYTES, MAX_MESSAGE_CHARS, RAW_MESSAGE_CHARS } from "./protocol-limits";
export type { Conversation, ConversationStatus } from "./api/conversations";
export type { MessageStatus, SenderType, Source, ToolCall } from "./api/messages";

/** A message as the API and the socket show it (the REST API's `Message`). */
export type MessageView = z.infer<typeof MessageSchema>;
/** An escalation as the API shows it (the REST API's `Escalation`). */
export type EscalationView = z.infer<typeof EscalationSchema>;

const ClientId = z.string().min(1).max(MAX_CLIENT_ID_CHARS);

/** A frame a client sends. Unknown types and fields are refused with an `error` event. */
export const ClientFrame = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("message"),
    content: z.string().max(RAW_MESSAGE_CHARS), // sanitising trims; the exact limit is checked after
    client_id: ClientId.optional(),
  }),
  z.strictObject({ type: z.literal("typing") }),
  z.strictObject({ type: z.literal("stop") }),
  z.strictObject({ type: z.literal("resume"), after: z.string().max(100).nullable().optional() }),
  z.strictObject({ type: z.literal("ping") }),
  /** The visitor's answer to a `confirm_request` (visitor sockets only). */
  z.strictObject({ type: z.literal("confirm"), call_id: z.string().min(1).max(200), approve: z.boolean() }),
]);
/** A frame a client sends. */
export type ClientFrame = z.infer<typeof ClientFrame>;

/** An event that carries a whole message: an answer, a visitor's message, an agent's reply. */
const messageEvent = <T extends "response" | "message" | "agent_message">(type: T) =>
  z.object({ type: z.literal(type), message: MessageSchema });

/** Events the server sends to every socket (and, as SSE, to REST streams). */
export const ServerEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ack"), client_id: z.string().nullable(), message_id: z.string() }),
  z.object({ type: z.literal("typing"), sender_type: SenderTypeSchema.exclude(["system"]) }),
  z.object({ type: z.literal("delta"), message_id: z.string(), delta: z.string(), seq: z.number().int() }),
  messageEvent("response"),
  messageEvent("message"),
  messageEvent("agent_message"),
  z.object({
    type: z.literal("escalation"),
    escalation_id: z.string(),
    ticket_id: z.string().nullable(),
    reason: EscalationReasonSchema,
  }),
  /** An action the answer runs: `running` when it starts, then `done` or `failed`. */
  z.object({
    type: z.literal("tool"),
    call_id: z.string(),
    name: z.string(),
    status: z.enum(["running", "done", "failed"]),
  }),
  /** A mutating action waits for the visitor's `confirm`; `summary` says what it will do. */
  z.object({ type: z.literal("confirm_request"), call_id: z.string(), name: z.string(), summary: z.string() }),
  z.object({ type: z.literal("status"), status: ConversationStatusSchema, human_takeover: z.boolean() }),
  /** An action the answer calls changed state. */
  z.object({ type: z.literal("tool"), call_id: z.string(), name: z.string(), status: z.enum(["running", "done", "failed"]) }),
  /** The answer wants to run a changing action: the visitor approves or declines with `confirm`. */
  z.object({ type: z.literal("confirm_request"), call_id: z.string(), name: z.string(), summary: z.string() }),
  z.object({
    type: z.literal("error"),
    code: z.string(),
    message: z.string(),
    /** The answer this error is about; its `response` follows. */
    message_id: z.string().optional(),
    /** The visitor message refused (`rate_limited`): it was not stored, or will not be answered. */
    client_id: z.string().nullable().optional(),
    /** With `rate_limited`: seconds until a retry can succeed. */
    retry_after: z.number().optional(),
    /** With `rate_limited`: which limit refused (`conversation`, `visitor`, `workspace`, `model_tokens`). */
    window: z.string().optional(),
  }),
]);
/** An event the server sends. */
export type ServerEvent = z.infer<typeof ServerEvent>;

/** The answer to a client's `ping`, sent by the runtime without waking the conversation. */
export const PongEvent = z.object({ type: z.literal("pong") });
/** Everything a client's socket may receive: the server's events and the answers to its pings. */
export type SocketEvent = ServerEvent | z.infer<typeof PongEvent>;
