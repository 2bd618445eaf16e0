import { and, desc, eq, gte, inArray, isNull, lt, ne, sql, type SQL } from "drizzle-orm";
import { hasReservedVisitorPrefix, type IdentityProof, type VerifiedIdentity } from "../../../schema/api";
import type { Principal, Role } from "../auth/principal";
import { actorOf, roleAtLeast } from "../auth/principal";
import { conversationRoleOf, currentStaffRole, keyFingerprint } from "../auth/staff-standing";
import { reserveConversationSlot } from "../billing/limits";
import { signConversationToken, type ConversationClaims } from "../auth/tokens";
import { verifiedVisitorId, verifyVisitorIdentity } from "../auth/visitor-identity";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { currentTraceparent } from "../lib/trace-context";
import { olderThan, toPage } from "../lib/pagination";
import { workspacePlace, type PlaceEnv } from "../storage/data-region";
import { createDb, schema } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import type { ConversationView, MetadataValue } from "./conversation-view";
import { withoutReservedMetadata } from "./reserved-metadata";

/** The Durable Object of a conversation of the workspace, in the workspace's data region (`storage/data-region.ts`). */
export async function conversationStub(env: PlaceEnv, workspaceId: string, conversationId: string) {
  return (await workspacePlace(env, workspaceId)).conversations.getByName(conversationId);
}

/** What a conversation route needs from its caller. */
export type ConversationAccess = "read" | "write" | "manage";

/**
 * The conversation if `principal` may act on it: its own visitor (conversation token), or
 * staff of its workspace with the role the action needs. Anything else is a 404, so ids of
 * other workspaces never show they exist.
 */
export async function authorizeConversation(
  env: Env,
  principal: Principal,
  conversationId: string,
  access: ConversationAccess,
): Promise<ConversationView> {
  if (principal.kind === "conversation" && principal.conversationId !== conversationId) throw notFound("conversation");
  if (principal.kind === "publishable_key") throw new ApiError("forbidden", "use the conversation token for this route");
  const conv = await (await conversationStub(env, principal.workspaceId, conversationId)).describe();
  if (!conv || conv.workspace_id !== principal.workspaceId) throw notFound("conversation");
  if (principal.kind === "user" || principal.kind === "secret_key") {
    const needed = access === "read" ? "viewer" : "manager";
    if (!roleAtLeast(principal.role, needed)) {
      throw new ApiError("forbidden", `this action needs the ${needed} role`, { required_role: needed });
    }
  } else if (principal.role === "visitor") {
    if (access === "manage") throw new ApiError("forbidden", "visitors cannot do this");
  } else {
    await authorizeStaffToken(env, principal, access);
  }
  return conv;
}

type ConversationPrincipal = Extract<Principal, { kind: "conversation" }>;

/**
 * A staff member's conversation token (agent or observer) against what its holder may do now:
 * an observer only reads; an agent writes while its holder is still a manager or above. The
 * holder's role is read again on every use (one indexed D1 read, as access tokens do), so a
 * demotion, a removal or a revoked or rotated key applies at once; a holder who is gone is 401.
 */
async function authorizeStaffToken(env: Env, principal: ConversationPrincipal, access: ConversationAccess): Promise<void> {
  if (access !== "read" && principal.role !== "agent") {
    throw new ApiError("forbidden", "this conversation token may only watch", { required_role: "manager" });
  }
  const role = await holderRole(env, principal);
  if (!role) throw new ApiError("unauthorized", "the staff member behind this conversation token no longer has access");
  if (access !== "read" && !roleAtLeast(role, "manager")) {
    throw new ApiError("forbidden", "this action needs the manager role", { required_role: "manager" });
  }
}

/** The current role of the staff member behind a conversation token; null for visitors and the gone. */
function holderRole(env: Env, principal: ConversationPrincipal): Promise<Role | null> {
  if (principal.role === "visitor" || !principal.agentId) return Promise.resolve(null);
  return currentStaffRole(createDb(env.DB), {
    workspaceId: principal.workspaceId,
    agentId: principal.agentId,
    keyFingerprint: principal.keyFingerprint,
  });
}

/**
 * The claims of a fresh conversation token for a caller who may read `conv`. Staff get an
 * `agent` token when their role lets them reply (manager and above) and an `observer` token
 * otherwise. A token renewing itself keeps its holder and never grows: a visitor stays a
 * visitor, an agent whose holder was demoted becomes an observer, an observer stays one, and a
 * holder who is gone gets nothing (401, from `authorizeConversation`). `presentedKey` is the
 * secret key value a key caller used, so the token dies with it when the key is rotated.
 */
export async function conversationTokenClaims(
  env: Env,
  principal: Exclude<Principal, { kind: "publishable_key" }>,
  conv: ConversationView,
  presentedKey: string | undefined,
): Promise<ConversationClaims> {
  const base = { conversationId: conv.id, workspaceId: conv.workspace_id, assistantId: conv.assistant_id, visitorId: conv.visitor_id };
  if (principal.kind === "conversation") {
    if (principal.role === "visitor") return { ...base, role: "visitor", agentId: null, publishableKeyId: principal.publishableKeyId ?? null };
    const role = await holderRole(env, principal);
    if (!role) throw new ApiError("unauthorized", "the staff member behind this conversation token no longer has access");
    const renewed = principal.role === "agent" ? conversationRoleOf(role) : "observer";
    return { ...base, role: renewed, agentId: principal.agentId, keyFingerprint: principal.keyFingerprint ?? null };
  }
  const fingerprint = principal.kind === "secret_key" && presentedKey ? await keyFingerprint(presentedKey) : null;
  if (principal.kind === "secret_key" && !fingerprint) throw new ApiError("unauthorized", "missing or invalid credentials");
  return { ...base, role: conversationRoleOf(principal.role), agentId: actorOf(principal).actor_id, keyFingerprint: fingerprint };
}

/** What starting a conversation takes. */
export interface StartConversation {
  assistant_id: string;
  /** The caller's visitor id; required without `identity`, unused with it (`user:<user_id>` instead). */
  visitor_id?: string | undefined;
  channel: "web" | "api" | "slack" | "whatsapp" | "email";
  initial_message?: string | undefined;
  /** The caller's own metadata; the platform's reserved keys are dropped from it. */
  metadata?: Record<string, MetadataValue> | undefined;
  /** Set only by a channel starting its own conversation: its thread key. */
  external_ref?: string | null;
  /** Set only by a channel: metadata the platform relies on (where replies go), kept as given. */
  channel_metadata?: Record<string, MetadataValue> | undefined;
  /** Proof of who the visitor is, checked with the assistant's identity secret. */
  identity?: IdentityProof | undefined;
  /** With `identity`: return the user's latest open conversation with the assistant, if any. */
  resume?: boolean | undefined;
}

/** A started (or, with `resume`, found) conversation and its visitor token. */
export interface StartedConversation {
  conversation: ConversationView;
  token: { token: string; expiresAt: string };
  resumed: boolean;
}

/** The WebSocket URL of a conversation, on the host the caller used. */
export function wsUrl(requestUrl: string, conversationId: string): string {
  const u = new URL(requestUrl);
  const scheme = u.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${u.host}/api/v1/conversations/${conversationId}/ws`;
}

/**
 * Starts a conversation for a widget (publishable key) or a staff caller, with its visitor token.
 * With `identity` the proof is checked first (a failed one starts nothing: 401, or 409 when the
 * assistant has no identity secret) and the conversation is verified, its visitor id the user's
 * `user:<user_id>`; with `resume` too, the user's latest open conversation with the assistant is
 * returned instead of a new one when there is one, so the user finds it on any device.
 */
export async function startConversation(env: Env, principal: Principal, input: StartConversation): Promise<StartedConversation> {
  if (principal.kind === "conversation") throw new ApiError("forbidden", "a conversation token cannot start conversations");
  if (principal.kind === "publishable_key") {
    if (input.assistant_id !== principal.assistantId) throw notFound("assistant");
    if (input.channel !== "web") throw new ApiError("forbidden", "publishable keys start web conversations only");
  } else if (!roleAtLeast(principal.role, "manager")) {
    throw new ApiError("forbidden", "this action needs the manager role", { required_role: "manager" });
  }
  // The request schema refuses these ids already; this holds for every other caller too.
  if (!input.external_ref && input.visitor_id !== undefined && hasReservedVisitorPrefix(input.visitor_id)) {
    throw new ApiError("invalid_request", "visitor_id must not start with a channel prefix or user:: only a channel or a verified identity gives such ids");
  }
  const db = createDb(env.DB);
  const assistant = await getAssistant(db, principal.workspaceId, input.assistant_id);
  const identity = input.identity ? await verifyVisitorIdentity(env, db, principal.workspaceId, assistant.id, input.identity) : null;
  const visitorId = identity ? verifiedVisitorId(identity.user_id) : input.visitor_id;
  if (visitorId === undefined) throw new ApiError("invalid_request", "visitor_id is required without identity");
  const visitorToken = (conv: ConversationView) =>
    signConversationToken(env, {
      conversationId: conv.id,
      workspaceId: principal.workspaceId,
      assistantId: assistant.id,
      visitorId,
      role: "visitor",
      agentId: null,
      // The widget's visitor is counted on its key and address, like the key itself.
      publishableKeyId: principal.kind === "publishable_key" ? principal.keyId : null,
    });
  if (identity && input.resume) {
    const open = await openVerifiedConversation(env, principal.workspaceId, assistant.id, identity);
    if (open) return { conversation: open, token: await visitorToken(open), resumed: true };
  }
  // The plan's monthly conversation quota; a widget visitor is told politely, staff precisely.
  const release = await reserveConversationSlot(env, principal.workspaceId, { visitor: principal.kind === "publishable_key" });
  const id = newId("conversation");
  const view = await (await conversationStub(env, principal.workspaceId, id))
    .init(
      {
        id,
        workspace_id: principal.workspaceId,
        assistant_id: assistant.id,
        channel: input.channel,
        visitor_id: visitorId,
        metadata: { ...withoutReservedMetadata(input.metadata), ...input.channel_metadata },
        external_ref: input.external_ref ?? null,
        identity,
      },
      input.initial_message,
      currentTraceparent(),
    )
    .catch(async (err: unknown) => {
      await release();
      throw err;
    });
  return { conversation: view, token: await visitorToken(view), resumed: false };
}

/** Conversations of one verified user looked at when resuming: their latest few, newest first. */
const RESUME_CANDIDATES = 5;

/**
 * The verified user's latest open (not resolved) conversation with the assistant, or null. The
 * D1 index finds candidates; each is confirmed by its object, the source of truth, so one
 * resolved a moment ago or an unverified conversation that merely shares the id is never used.
 */
async function openVerifiedConversation(
  env: Env,
  workspaceId: string,
  assistantId: string,
  identity: VerifiedIdentity,
): Promise<ConversationView | null> {
  const { conversations: c } = schema;
  const candidates = await createDb(env.DB)
    .select({ id: c.id })
    .from(c)
    .where(
      and(
        eq(c.workspace_id, workspaceId),
        eq(c.visitor_id, verifiedVisitorId(identity.user_id)),
        eq(c.assistant_id, assistantId),
        eq(c.verified, true),
        ne(c.status, "resolved"),
        isNull(c.deleted_at),
      ),
    )
    .orderBy(desc(c.updated_at), desc(c.id))
    .limit(RESUME_CANDIDATES)
    .all();
  for (const { id } of candidates) {
    const conv = await (await conversationStub(env, workspaceId, id)).describe();
    const sameUser = conv?.verified && conv.identity?.user_id === identity.user_id;
    if (conv && sameUser && conv.workspace_id === workspaceId && conv.assistant_id === assistantId && conv.status !== "resolved") return conv;
  }
  return null;
}

/** Filters of the conversation list. */
export interface ConversationFilters {
  status?: "active" | "resolved" | "escalated" | undefined;
  assistant_id?: string | undefined;
  channel?: string | undefined;
  visitor_id?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Text that one of the conversation's messages contains. */
  q?: string | undefined;
}

/**
 * How many of the workspace's most recent messages a text search reads. A `LIKE` scan over a
 * bounded window rather than an FTS5 index: messages arrive through the outbox as upserts,
 * and a substring match also finds order numbers, emails and half-typed words, which FTS5
 * tokens miss. The bound keeps each search to a fixed number of D1 row reads.
 */
export const SEARCH_WINDOW_MESSAGES = 20_000;

/** `%text%` for LIKE with `\` as the escape character, so `%` and `_` in the text are literal. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** One page of the workspace's conversations from the D1 index, most recently updated first. */
export async function listConversations(env: Env, workspaceId: string, f: ConversationFilters, limit: number, cursor?: string) {
  const { conversations: c } = schema;
  const conditions: (SQL | undefined)[] = [
    eq(c.workspace_id, workspaceId),
    f.status ? eq(c.status, f.status) : undefined,
    f.assistant_id ? eq(c.assistant_id, f.assistant_id) : undefined,
    f.channel ? eq(c.channel, f.channel as "web") : undefined,
    f.visitor_id ? eq(c.visitor_id, f.visitor_id) : undefined,
    f.from ? gte(c.created_at, f.from) : undefined,
    f.to ? lt(c.created_at, f.to) : undefined,
    olderThan(c.updated_at, c.id, cursor),
    f.q ? inArray(c.id, matchingConversations(workspaceId, f.q)) : undefined,
  ];
  const rows = await createDb(env.DB)
    .select()
    .from(c)
    .where(and(...conditions))
    .orderBy(desc(c.updated_at), desc(c.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.updated_at);
}

/** Ids of the workspace's conversations with a recent message containing `text` (case-insensitive for ASCII). */
function matchingConversations(workspaceId: string, text: string) {
  const { messages: m } = schema;
  return sql`(select conversation_id from (
      select ${m.conversation_id} as conversation_id, ${m.content} as content from ${m}
      where ${m.workspace_id} = ${workspaceId}
      order by ${m.created_at} desc
      limit ${SEARCH_WINDOW_MESSAGES}
    ) where content like ${likePattern(text)} escape '\\')`;
}
