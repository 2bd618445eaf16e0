/** Conversations: starting one, its tokens, reading, listing, searching and exporting them. */
import { z } from "@hono/zod-openapi";
import { RAW_MESSAGE_CHARS } from "../protocol-limits";
import { idOf, isoDateTime, isoTimestamp, PaginationQuery } from "./common";
import { MessageSchema } from "./messages";

/** Where a conversation takes place. */
export const ChannelSchema = z.enum(["web", "api", "slack", "whatsapp", "email"]);
/** Where a conversation stands. */
export const ConversationStatusSchema = z.enum(["active", "resolved", "escalated"]);

/** Metadata a client attaches to a conversation: small, flat, for its own bookkeeping. */
const METADATA_MAX_KEYS = 30;
const METADATA_MAX_JSON_CHARS = 4_000;

/** A visitor id chosen by the embedding site or the widget: opaque, URL-safe. */
export const VisitorIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.@:+-]+$/, "may contain letters, digits and . _ - @ : + only");

/**
 * Visitor id prefixes of the channels (`email:ann@x.com`, `slack:T1:U1`, `whatsapp:+4930…`):
 * one per channel besides the web widget and the API. Only a channel creates such ids; a client
 * choosing one could read that channel visitor's conversations or receive their replies.
 */
export const CHANNEL_VISITOR_ID_PREFIXES: readonly string[] = ChannelSchema.options
  .filter((c) => c !== "web" && c !== "api")
  .map((c) => `${c}:`);

/** True when a visitor id carries a channel's prefix (in any letter case). */
export function hasChannelVisitorPrefix(visitorId: string): boolean {
  const lower = visitorId.toLowerCase();
  return CHANNEL_VISITOR_ID_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * The visitor id prefix of verified users (`user:42`): a verified conversation's visitor id is
 * this plus the user id its identity proof vouched for, so one user's conversations share an id
 * on every device. Only a verified start makes such ids.
 */
export const VERIFIED_VISITOR_ID_PREFIX = "user:";

/** Every visitor id prefix a client may not choose: the channels' and verified users'. */
export const RESERVED_VISITOR_ID_PREFIXES: readonly string[] = [...CHANNEL_VISITOR_ID_PREFIXES, VERIFIED_VISITOR_ID_PREFIX];

/** True when a visitor id carries a prefix only the platform gives (in any letter case). */
export function hasReservedVisitorPrefix(visitorId: string): boolean {
  const lower = visitorId.toLowerCase();
  return RESERVED_VISITOR_ID_PREFIXES.some((p) => lower.startsWith(p));
}

/** A visitor id a client (widget, API caller) chooses: never one of a channel's or a verified user's. */
export const ClientVisitorIdSchema = VisitorIdSchema.refine(
  (id) => !hasReservedVisitorPrefix(id),
  `must not start with a channel prefix (${CHANNEL_VISITOR_ID_PREFIXES.join(", ")}) or ${VERIFIED_VISITOR_ID_PREFIX}: those ids belong to conversations the channels start and to verified users (send identity instead)`,
);

/** A user id a business vouches for: it becomes the visitor id `user:<user_id>`, so it fits one. */
export const VerifiedUserIdSchema = z
  .string()
  .min(1)
  .max(128 - VERIFIED_VISITOR_ID_PREFIX.length)
  .regex(/^[\w.@:+-]+$/, "may contain letters, digits and . _ - @ : + only");

/**
 * Proof of who the visitor is, made by the business's backend with the assistant's identity
 * secret: the HMAC-SHA256 of `user_id` (lower-case hex), or a JWT (HS256; `sub`, optional
 * `email`, `name`, `exp`).
 */
export const IdentityProofSchema = z
  .union([
    z.strictObject({ user_id: VerifiedUserIdSchema, user_hash: z.string().min(1).max(128) }),
    z.strictObject({ token: z.string().min(1).max(4_096) }),
  ])
  .openapi("IdentityProof");

/** What a verified conversation knows of its visitor: the claims the proof vouched for. */
export const VerifiedIdentitySchema = z
  .object({ user_id: z.string(), email: z.string().optional(), name: z.string().optional() })
  .openapi("VerifiedIdentity");

const MetadataSchema = z
  .record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= METADATA_MAX_KEYS, `at most ${METADATA_MAX_KEYS} keys`)
  .refine((m) => JSON.stringify(m).length <= METADATA_MAX_JSON_CHARS, `at most ${METADATA_MAX_JSON_CHARS} characters of JSON`);

/**
 * `POST /conversations`. With `identity` the conversation is verified and its visitor id is
 * `user:<user_id>` (`visitor_id` may then be left out, and is not used); `resume: true` (with
 * `identity`) returns that user's latest open conversation with this assistant when there is one.
 */
export const ConversationCreateBody = z
  .strictObject({
    assistant_id: idOf("ast"),
    visitor_id: ClientVisitorIdSchema.optional(),
    channel: ChannelSchema.default("web"),
    initial_message: z.string().min(1).max(RAW_MESSAGE_CHARS).optional(),
    metadata: MetadataSchema.optional(),
    identity: IdentityProofSchema.optional(),
    resume: z.boolean().optional(),
  })
  .refine((b) => b.visitor_id !== undefined || b.identity !== undefined, { path: ["visitor_id"], message: "visitor_id is required without identity" })
  .refine((b) => !b.resume || b.identity !== undefined, { path: ["resume"], message: "resume needs identity: only a verified user's conversation can be resumed" })
  .refine((b) => !b.resume || b.initial_message === undefined, {
    path: ["resume"],
    message: "resume cannot carry initial_message: send it as a message of the conversation returned",
  })
  .openapi("ConversationCreate");

/** A new conversation with the token and socket URL its visitor uses. */
export const ConversationCreatedSchema = z
  .object({
    conversation_id: z.string(),
    token: z.string(),
    token_expires_at: isoTimestamp,
    ws_url: z.string(),
    status: ConversationStatusSchema,
    /** The visitor id the conversation was given (`user:<user_id>` when verified). */
    visitor_id: z.string(),
    verified: z.boolean(),
    /** True when `resume` found the user's open conversation (status 200) rather than starting one (201). */
    resumed: z.boolean(),
  })
  .openapi("ConversationCreated");

/** A conversation as the API shows it. */
export const ConversationSchema = z
  .object({
    id: z.string(),
    assistant_id: z.string(),
    channel: ChannelSchema,
    visitor_id: z.string(),
    status: ConversationStatusSchema,
    human_takeover: z.boolean(),
    satisfaction_score: z.number().int().nullable(),
    language: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    /** The visitor proved who they are with the assistant's identity secret. */
    verified: z.boolean(),
    /** The verified claims; only on verified conversations. */
    identity: VerifiedIdentitySchema.optional(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Conversation");

/** `POST /conversations/:id/satisfaction`. */
export const SatisfactionBody = z.strictObject({ score: z.number().int().min(0).max(5), comment: z.string().max(2_000).optional() });
/** `POST /conversations/:id/token`: a fresh token for the conversation's socket. */
export const ConversationTokenBody = z.strictObject({
  visitor_id: ClientVisitorIdSchema.optional(),
  /** A verified conversation's visitor renews with a fresh proof of the same user instead of `visitor_id`. */
  identity: IdentityProofSchema.optional(),
});
/** A conversation token, its expiry, its socket URL and what it may do. */
export const ConversationTokenSchema = z.object({
  token: z.string(),
  token_expires_at: isoTimestamp,
  ws_url: z.string(),
  /** What the token may do: a visitor's, an agent's (manager and above), or watch only (viewers). */
  role: z.enum(["visitor", "agent", "observer"]),
});

/** `GET /conversations` filters. */
export const ConversationListQuery = PaginationQuery.extend({
  status: ConversationStatusSchema.optional(),
  assistant_id: idOf("ast").optional(),
  channel: ChannelSchema.optional(),
  visitor_id: VisitorIdSchema.optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

/** The conversation list's query plus `q`: text searched for in the conversations' messages. */
export const ConversationInboxQuery = ConversationListQuery.extend({
  q: z.string().trim().min(1).max(200).optional(),
});

/** One conversation with all its messages, as a download. */
export const ConversationExportSchema = z
  .object({ conversation: ConversationSchema, messages: z.array(MessageSchema), exported_at: isoTimestamp })
  .openapi("ConversationExport");

/** A conversation as the API shows it. */
export type Conversation = z.infer<typeof ConversationSchema>;
/** Where a conversation stands. */
export type ConversationStatus = z.infer<typeof ConversationStatusSchema>;
/** Where a conversation takes place. */
export type Channel = z.infer<typeof ChannelSchema>;
/** A conversation token. */
export type ConversationToken = z.infer<typeof ConversationTokenSchema>;
/** Proof of who a visitor is. */
export type IdentityProof = z.infer<typeof IdentityProofSchema>;
/** A verified visitor's claims. */
export type VerifiedIdentity = z.infer<typeof VerifiedIdentitySchema>;
/** One conversation's export. */
export type ConversationExport = z.infer<typeof ConversationExportSchema>;
