import { DurableObject } from "cloudflare:workers";
import type { AnalyticsEvent } from "../analytics/sink";
import { checkModelBudget, ModelBudgetExceeded, type ModelBudgetGrant } from "../billing/model-budget";
import { ApiError } from "../http/errors";
import { admitSocketMessage, socketRefusal } from "../http/rate-limit/socket-limits";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { ChatMessage } from "../llm/chat-model";
import { loadAnsweringAssistant } from "./assistant-config";
import { generateAnswer } from "./answer";
import { escalationAllowance, escalationWindowStart, type EscalationOutcome } from "./escalation-limit";
import { handoffText } from "./handoff-text";
import { asksForHuman, soundsFrustrated } from "./intent";
import { detectLanguage } from "./language";
import { questionToLearn } from "./learnable-question";
import { flushOutbox } from "./outbox";
import {
  ClientFrame,
  MAX_FRAME_BYTES,
  type ConversationStatus,
  type EscalationView,
  type MessageView,
  type ServerEvent,
} from "./protocol";
import { sanitizeMessage } from "./sanitize";
import {
  dismissSocket,
  holderStillAllowed,
  observerMaySend,
  STAFF_RECHECK_MS,
  WATCH_ONLY_ERROR,
  type StaffSocketHolder,
} from "./staff-sockets";
import { ConversationStore, type ConversationRow } from "./store";

/** Turns of history given to the model besides the question. */
const HISTORY_MESSAGES = 20;
/** How soon the alarm retries work left over by a restart (pending answers, outbox). */
const RECOVERY_DELAY_MS = 100;
/** Visitor messages read back when looking for the question a resolution answers: far more than a hand-off holds. */
const QUESTION_LOOKBACK_MESSAGES = 50;

/** Who is on a socket; kept in the socket's attachment so it survives hibernation. */
export interface SocketAttachment {
  /** A visitor, an agent (manager and above) or an observer (a viewer, watch-only). */
  role: "visitor" | "agent" | "observer";
  /** Staff id (user or key) for agents and observers, visitor id for visitors. */
  participantId: string;
  /** For a staff socket opened with a key's token: which value of the key it came from. */
  keyFingerprint?: string | null;
  /** An agent's display name, when they have one. */
  participantName?: string | null;
  /** A visitor's rate-limit subject, fixed by the Worker at the upgrade (`socket-limits.ts`). */
  rateSubject?: string | null;
  connectedAt: string;
}

/** Metadata values a client may attach: flat and serialisable. */
export type MetadataValue = string | number | boolean | null;

/** What creating a conversation needs. */
export interface ConversationInit {
  id: string;
  workspace_id: string;
  assistant_id: string;
  channel: string;
  visitor_id: string;
  metadata: Record<string, MetadataValue>;
  external_ref: string | null;
}

/** The conversation as the API shows it. */
export interface ConversationView {
  id: string;
  workspace_id: string;
  assistant_id: string;
  channel: string;
  visitor_id: string;
  status: ConversationStatus;
  human_takeover: boolean;
  satisfaction_score: number | null;
  language: string | null;
  metadata: Record<string, MetadataValue>;
  created_at: string;
  updated_at: string;
}

/** A message sent over REST, and how it was taken. */
export interface SubmitResult {
  message: MessageView;
  duplicate: boolean;
}

type Subscriber = { replyTo: string; write: (e: ServerEvent) => void };

function toConversationView(c: ConversationRow): ConversationView {
  return {
    id: c.id,
    workspace_id: c.workspace_id,
    assistant_id: c.assistant_id,
    channel: c.channel,
    visitor_id: c.visitor_id,
    status: c.status,
    human_takeover: c.human_takeover === 1,
    satisfaction_score: c.satisfaction_score,
    language: c.language,
    metadata: JSON.parse(c.metadata) as Record<string, MetadataValue>,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/**
 * One conversation: the source of truth for its messages, the WebSockets of everyone watching
 * it (visitor tabs and agents), the answer being generated, and the copy of it all to D1.
 */
export class ConversationDO extends DurableObject<Env> {
  private readonly store: ConversationStore;
  private readonly logger = createLogger({ component: "conversation" });
  /** The answer being generated now, so `stop` can abort it. Lost on eviction, by design. */
  private generation: { messageId: string; controller: AbortController } | null = null;
  /** Serialises socket message admissions (limiter check, then store), in arrival order. */
  private admissions: Promise<unknown> = Promise.resolve();
  /** Serialises answering: one answer at a time, in message order. */
  private work: Promise<void> = Promise.resolve();
  /** REST callers streaming the answer to their message. */
  private readonly subscribers = new Set<Subscriber>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ConversationStore(ctx.storage.sql);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    void ctx.blockConcurrencyWhile(async () => this.recover());
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** After a restart: answers cut off mid-stream are marked failed; leftover work is resumed. */
  private async recover(): Promise<void> {
    const conv = this.store.conversation();
    if (!conv) return;
    const now = nowIso();
    for (const m of this.store.streamingMessages()) {
      const partial = this.store.chunks(m.id).map((c) => c.delta).join("");
      const failed = this.store.finishAnswer(m.id, { content: partial, status: "failed" }, now);
      this.store.enqueueOutbox("message", m.id);
      this.broadcast({ type: "error", code: "generation_interrupted", message: "the answer was interrupted", message_id: m.id });
      this.broadcast({ type: "response", message: failed });
      // The question it answered is settled: asking again is the visitor's call.
      this.store.settleQuestionOf(m.id);
    }
    if (this.store.nextPending() || this.store.outboxSize() > 0) {
      await this.ctx.storage.setAlarm(Date.now() + RECOVERY_DELAY_MS);
    }
  }

  /** Retries the outbox, answers anything a restart left waiting, and re-checks staff sockets. */
  override async alarm(): Promise<void> {
    if (!this.store.conversation()) return;
    if (this.store.nextPending()) await this.enqueueWork();
    await this.flush();
    await this.recheckStaffSockets();
  }

  private async flush(): Promise<void> {
    const result = await flushOutbox(this.store, this.env.DB);
    if (result.failed > 0) this.logger.warn("outbox flush failed; will retry", { pending: result.failed });
    if (result.nextAt !== null) {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > result.nextAt) await this.ctx.storage.setAlarm(result.nextAt);
    }
  }

  /** Copies to D1 in the background; the outbox keeps it if D1 is unavailable. */
  private flushSoon(): void {
    this.ctx.waitUntil(this.flush().catch((err) => this.logger.error("outbox flush crashed", { error: err })));
  }

  // ---- RPC used by the Worker's routes ----------------------------------------------------

  /** Creates the conversation (idempotent) and answers its first message if there is one. */
  async init(init: ConversationInit, initialMessage?: string): Promise<ConversationView> {
    const now = nowIso();
    this.store.createConversation({
      id: init.id,
      workspace_id: init.workspace_id,
      assistant_id: init.assistant_id,
      channel: init.channel,
      visitor_id: init.visitor_id,
      metadata: JSON.stringify(init.metadata),
      external_ref: init.external_ref,
      created_at: now,
      updated_at: now,
    });
    this.store.enqueueOutbox("conversation", init.id);
    await this.flush();
    this.emit({ type: "conversation.created" });
    if (initialMessage !== undefined) {
      this.acceptVisitorMessage(initialMessage, null);
      void this.enqueueWork();
    }
    return this.view();
  }

  /** The conversation, or null when this object holds none. */
  async describe(): Promise<ConversationView | null> {
    const conv = this.store.conversation();
    return conv ? toConversationView(conv) : null;
  }

  /** Messages after sequence number `afterSeq`, oldest first. */
  async listMessages(afterSeq: number, limit: number): Promise<MessageView[]> {
    this.requireConversation();
    return this.store.messagesAfter(afterSeq, limit);
  }

  /**
   * A visitor message over REST. Returns a stream of the events about it (ack, deltas, the
   * response, escalation) that ends when it is answered. A re-sent `client_id` is not answered
   * again: the stream replays the stored answer.
   */
  async submit(content: string, clientId: string | null): Promise<ReadableStream<Uint8Array>> {
    this.requireConversation();
    const { message, duplicate } = this.acceptVisitorMessage(content, clientId);
    // RPC streams carry bytes: one JSON event per line.
    const encoder = new TextEncoder();
    let write!: (e: ServerEvent) => void;
    let close!: () => void;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        write = (e) => controller.enqueue(encoder.encode(`${JSON.stringify(e)}\n`));
        close = () => controller.close();
      },
    });
    write({ type: "ack", client_id: clientId, message_id: message.id });
    if (duplicate) {
      const answer = this.store.answerTo(message.id);
      if (answer && answer.status !== "streaming") write({ type: "response", message: answer });
      close();
      return stream;
    }
    const subscriber: Subscriber = { replyTo: message.id, write };
    this.subscribers.add(subscriber);
    void this.enqueueWork().finally(() => {
      this.subscribers.delete(subscriber);
      close();
    });
    return stream;
  }

  /** A human agent's reply: the AI goes quiet until the conversation is handed back. */
  async agentMessage(content: string, agentId: string, agentName: string | null = null): Promise<MessageView> {
    this.requireConversation();
    const text = sanitizeMessage(content);
    const now = nowIso();
    this.generation?.controller.abort();
    const message = this.store.insertMessage({
      id: newId("message"),
      sender_type: "human_agent",
      sender_id: agentId,
      sender_name: agentName,
      content: text,
      status: "complete",
      created_at: now,
    });
    this.store.skipAllPending();
    const wasTakenOver = this.store.conversation()!.human_takeover === 1;
    this.store.updateConversation({ human_takeover: 1 }, now);
    this.store.enqueueOutbox("message", message.id);
    this.store.enqueueOutbox("conversation", this.store.conversation()!.id);
    this.broadcast({ type: "agent_message", message });
    if (!wasTakenOver) this.broadcastStatus();
    this.emit({ type: "agent.replied" });
    this.flushSoon();
    return message;
  }

  /** Gives the conversation back to the AI after a human took over. */
  async handBack(): Promise<ConversationView> {
    this.requireConversation();
    this.store.updateConversation({ human_takeover: 0, status: "active" }, nowIso());
    this.store.enqueueOutbox("conversation", this.store.conversation()!.id);
    this.broadcastStatus();
    this.flushSoon();
    return this.view();
  }

  /**
   * Hands the conversation to a person; an open escalation is returned rather than doubled, and
   * past the daily bound none is opened (the outcome says when another may be).
   */
  async escalate(reason: EscalationView["reason"], note: string | null): Promise<EscalationOutcome> {
    this.requireConversation();
    return this.openEscalation(reason, note);
  }

  /** An escalation of this conversation, or null. */
  async getEscalation(id: string): Promise<EscalationView | null> {
    return this.store.escalation(id);
  }

  /** Marks the conversation resolved and closes its escalations. */
  async resolve(): Promise<ConversationView> {
    const conv = this.requireConversation();
    const now = nowIso();
    if (conv.status !== "resolved") {
      for (const id of this.store.resolveEscalations(now)) this.store.enqueueOutbox("escalation", id);
      this.store.updateConversation({ status: "resolved", resolved_at: now, human_takeover: 0 }, now);
      this.store.enqueueOutbox("conversation", conv.id);
      this.broadcastStatus();
      this.emit({ type: "conversation.resolved" });
      this.flushSoon();
    }
    return this.view();
  }

  /**
   * The visitor's question the AI could not answer (see `questionToLearn`), or null: what a
   * person resolving the conversation with an article teaches that article.
   */
  async unansweredQuestion(): Promise<{ message_id: string; content: string } | null> {
    this.requireConversation();
    const question = questionToLearn(this.store.recentVisitorMessages(QUESTION_LOOKBACK_MESSAGES), this.store.latestEscalation());
    return question ? { message_id: question.id, content: question.content } : null;
  }

  /** Records the visitor's rating (0..5) and comment. */
  async rate(score: number, comment: string | null): Promise<ConversationView> {
    const conv = this.requireConversation();
    this.store.updateConversation({ satisfaction_score: score, satisfaction_comment: comment }, nowIso());
    this.store.enqueueOutbox("conversation", conv.id);
    this.emit({ type: "satisfaction.submitted", properties: { score } });
    this.flushSoon();
    return this.view();
  }

  /** Records the external ticket an escalation created (from the outbound queue). */
  async recordTicket(escalationId: string, ticketId: string): Promise<void> {
    const esc = this.store.escalation(escalationId);
    if (!esc) return;
    this.store.setTicket(escalationId, ticketId);
    this.store.enqueueOutbox("escalation", escalationId);
    this.broadcast({ type: "escalation", escalation_id: escalationId, ticket_id: ticketId, reason: esc.reason });
    this.flushSoon();
  }

  /**
   * Notes on the conversation (metadata `delivery_error`, copied to D1) that an answer or a
   * ticket could not be delivered through its channel, and tells the agents watching; `null`
   * clears the note once a delivery succeeds.
   */
  async recordDeliveryError(error: { provider: string; message: string } | null): Promise<void> {
    const conv = this.requireConversation();
    const metadata = JSON.parse(conv.metadata) as Record<string, MetadataValue>;
    if (error === null) {
      if (!("delivery_error" in metadata)) return;
      delete metadata.delivery_error;
      delete metadata.delivery_error_at;
    } else {
      metadata.delivery_error = `${error.provider}: ${error.message}`.slice(0, 500);
      metadata.delivery_error_at = nowIso();
    }
    this.store.updateConversation({ metadata: JSON.stringify(metadata) }, nowIso());
    this.store.enqueueOutbox("conversation", conv.id);
    if (error !== null) {
      for (const ws of this.staffSockets()) {
        this.send(ws, { type: "error", code: "delivery_failed", message: metadata.delivery_error as string });
      }
    }
    this.flushSoon();
  }

  /**
   * Erases everything this object holds (visitor erasure, retention, workspace deletion): the
   * answer being generated stops, sockets close, storage is emptied and no alarm is left.
   * Returns how many messages were erased.
   */
  async erase(): Promise<number> {
    this.generation?.controller.abort();
    const messages = this.store.conversation() ? this.store.messageCount() : 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(1000, "conversation erased");
      } catch {
        // already closing
      }
    }
    this.store.eraseAll();
    await this.ctx.storage.deleteAlarm();
    return messages;
  }

  /** Entries still waiting for D1 (operations and tests). */
  async outboxSize(): Promise<number> {
    return this.store.outboxSize();
  }

  /** Retries the outbox now (operations and tests). */
  async flushNow(): Promise<number> {
    await this.flush();
    return this.store.outboxSize();
  }

  // ---- WebSockets -----------------------------------------------------------------------

  /** Accepts a socket the Worker has already authorised (role and participant in headers). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a websocket", { status: 426 });
    }
    if (!this.store.conversation()) return new Response("conversation not found", { status: 404 });
    const roleHeader = request.headers.get("x-conversation-role");
    const role = roleHeader === "agent" || roleHeader === "observer" ? roleHeader : "visitor";
    const keyFingerprint = request.headers.get("x-conversation-key-fingerprint");
    const participantId = request.headers.get("x-conversation-participant") ?? "unknown";
    const encodedName = request.headers.get("x-conversation-participant-name");
    const participantName = encodedName ? decodeURIComponent(encodedName) : null;
    const rateSubject = request.headers.get("x-conversation-rate-subject");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [role]);
    const attachment: SocketAttachment = { role, participantId, participantName, keyFingerprint, rateSubject, connectedAt: nowIso() };
    server.serializeAttachment(attachment);
    this.send(server, this.statusEvent());
    if (role !== "visitor") await this.armStaffRecheck();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const size = typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength;
    if (size > MAX_FRAME_BYTES) {
      this.send(ws, { type: "error", code: "frame_too_large", message: `frames are limited to ${MAX_FRAME_BYTES} bytes` });
      return;
    }
    let frame: ClientFrame;
    try {
      const parsed = ClientFrame.safeParse(JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data)));
      if (!parsed.success) {
        this.send(ws, { type: "error", code: "invalid_frame", message: parsed.error.issues[0]?.message ?? "invalid frame" });
        return;
      }
      frame = parsed.data;
    } catch {
      this.send(ws, { type: "error", code: "invalid_frame", message: "frames must be JSON" });
      return;
    }
    const who = ws.deserializeAttachment() as SocketAttachment;
    if (who.role !== "visitor" && !(await this.admitStaffFrame(ws, { ...who, role: who.role }, frame))) return;
    try {
      switch (frame.type) {
        case "ping":
          this.send(ws, { type: "status", ...this.statusFields() });
          return;
        case "typing":
          this.broadcast({ type: "typing", sender_type: who.role === "agent" ? "human_agent" : "visitor" }, ws);
          return;
        case "stop":
          this.generation?.controller.abort();
          return;
        case "resume":
          this.replay(ws, frame.after ?? null);
          return;
        case "message":
          if (who.role === "agent") {
            const message = await this.agentMessage(frame.content, who.participantId, who.participantName ?? null);
            this.send(ws, { type: "ack", client_id: frame.client_id ?? null, message_id: message.id });
            return;
          }
          if (!(await this.receiveSocketMessage(ws, who, frame.content, frame.client_id ?? null))) return;
          await this.enqueueWork();
          return;
      }
    } catch (err) {
      if (err instanceof ApiError) this.send(ws, { type: "error", code: err.code, message: err.message });
      else {
        this.logger.error("socket frame failed", { error: err });
        this.send(ws, { type: "error", code: "internal", message: "internal error" });
      }
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "closing");
    } catch {
      // already closed
    }
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    this.logger.warn("socket error", { error });
  }

  // ---- staff sockets: what they may do follows their holder's role now (staff-sockets.ts) --

  /**
   * Whether a staff socket's frame goes ahead: an observer only resumes; and the holder's role
   * is read again first, so one who lost it is told and disconnected instead.
   */
  private async admitStaffFrame(ws: WebSocket, who: StaffSocketHolder, frame: ClientFrame): Promise<boolean> {
    if (who.role === "observer" && !observerMaySend(frame)) {
      this.send(ws, WATCH_ONLY_ERROR);
      return false;
    }
    const conv = this.store.conversation();
    if (!conv) return false;
    // Checks run one after another, so an agent's quick successive frames act in the order sent.
    const turn = this.staffChecks.then(() => holderStillAllowed(this.env, conv.workspace_id, who));
    this.staffChecks = turn.catch(() => undefined);
    let allowed: boolean;
    try {
      allowed = await turn;
    } catch (err) {
      this.logger.error("staff role check failed", { error: err });
      this.send(ws, { type: "error", code: "internal", message: "could not check your access; try again" });
      return false;
    }
    if (!allowed) dismissSocket(ws);
    return allowed;
  }

  /** Staff frames' role checks, chained in arrival order (memory only: it orders, it stores nothing). */
  private staffChecks: Promise<unknown> = Promise.resolve();

  /** Makes sure the alarm comes back within STAFF_RECHECK_MS while staff sockets are open. */
  private async armStaffRecheck(): Promise<void> {
    const at = Date.now() + STAFF_RECHECK_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Re-reads the holder of every open staff socket, closes those who lost it, and re-arms. */
  private async recheckStaffSockets(): Promise<void> {
    const conv = this.store.conversation();
    const sockets = this.staffSockets();
    if (!conv || sockets.length === 0) return;
    const verdicts = new Map<string, Promise<boolean>>();
    try {
      for (const ws of sockets) {
        const who = ws.deserializeAttachment() as SocketAttachment;
        if (who.role === "visitor") continue;
        const holder: StaffSocketHolder = { ...who, role: who.role };
        const key = `${holder.role}:${holder.participantId}:${holder.keyFingerprint ?? ""}`;
        if (!verdicts.has(key)) verdicts.set(key, holderStillAllowed(this.env, conv.workspace_id, holder));
        if (!(await verdicts.get(key))) dismissSocket(ws);
      }
    } catch (err) {
      this.logger.error("staff role recheck failed; will retry", { error: err });
    }
    if (this.staffSockets().length > 0) await this.armStaffRecheck();
  }

  /** Open sockets of staff: agents and observers. */
  private staffSockets(): WebSocket[] {
    return [...this.ctx.getWebSockets("agent"), ...this.ctx.getWebSockets("observer")];
  }

  /** Sends a socket everything after message `after` (all when null), including a half-streamed answer. */
  private replay(ws: WebSocket, after: string | null): void {
    let afterSeq = 0;
    if (after) {
      const from = this.store.message(after);
      if (!from) {
        this.send(ws, { type: "error", code: "not_found", message: "unknown message id to resume after" });
        return;
      }
      afterSeq = from.seq;
    }
    // Synchronous reads and sends: no delta can be produced between the replay and going live.
    for (const m of this.store.messagesAfter(afterSeq)) {
      if (m.status === "streaming") {
        for (const c of this.store.chunks(m.id)) this.send(ws, { type: "delta", message_id: m.id, delta: c.delta, seq: c.seq });
      } else if (m.sender_type === "assistant") this.send(ws, { type: "response", message: m });
      else if (m.sender_type === "human_agent") this.send(ws, { type: "agent_message", message: m });
      else this.send(ws, { type: "message", message: m });
    }
    this.send(ws, this.statusEvent());
  }

  // ---- the message pipeline --------------------------------------------------------------

  /** Stores a visitor message (or finds the one its client id already made) and tells everyone. */
  private acceptVisitorMessage(content: string, clientId: string | null, from?: WebSocket): SubmitResult {
    if (clientId) {
      const existing = this.store.messageByClientId(clientId);
      if (existing) return { message: existing, duplicate: true };
    }
    const text = sanitizeMessage(content);
    const conv = this.store.conversation()!;
    const now = nowIso();
    const language = detectLanguage(text, conv.language ?? "en");
    const message = this.store.insertMessage({
      id: newId("message"),
      sender_type: "visitor",
      sender_id: conv.visitor_id,
      content: text,
      status: "complete",
      client_id: clientId,
      language,
      answer_state: conv.human_takeover === 1 ? "skipped" : "pending",
      created_at: now,
    });
    const reopened = conv.status === "resolved";
    this.store.updateConversation(reopened ? { language, status: "active", resolved_at: null } : { language }, now);
    this.store.enqueueOutbox("message", message.id);
    this.store.enqueueOutbox("conversation", conv.id);
    if (from) this.send(from, { type: "ack", client_id: clientId, message_id: message.id });
    this.broadcast({ type: "message", message }, from);
    if (reopened) this.broadcastStatus();
    this.emit({ type: "message.received", properties: { language } });
    this.flushSoon();
    return { message, duplicate: false };
  }

  /**
   * A visitor's message from a socket: counted against the socket limits, then stored, or refused
   * with a `rate_limited` error frame and not stored at all. Admissions run one at a time, in
   * arrival order, so quick successive messages are stored (and then answered) in the order sent
   * even though each waits for the limiter. False when the message was refused.
   */
  private receiveSocketMessage(ws: WebSocket, who: SocketAttachment, content: string, clientId: string | null): Promise<boolean> {
    const turn = this.admissions.then(async () => {
      // A re-sent client id is acknowledged again without counting: it costs no model call.
      const known = clientId ? this.store.messageByClientId(clientId) : null;
      if (!known) {
        const conv = this.store.conversation()!;
        const decision = await admitSocketMessage(this.env, conv.workspace_id, {
          conversationId: conv.id,
          visitorSubject: who.rateSubject ?? `visitor:${conv.workspace_id}:id:${who.participantId}`,
        });
        if (decision && !decision.allowed) {
          this.send(ws, { type: "error", ...socketRefusal(decision), client_id: clientId });
          return false;
        }
      }
      const { message, duplicate } = this.acceptVisitorMessage(content, clientId, ws);
      if (duplicate) this.send(ws, { type: "ack", client_id: clientId, message_id: message.id });
      return true;
    });
    this.admissions = turn.catch(() => undefined);
    return turn;
  }

  /** Answers pending messages one at a time; resolves when the queue is empty. */
  private enqueueWork(): Promise<void> {
    this.work = this.work.then(() => this.drain()).catch((err) => this.logger.error("answering failed", { error: err }));
    return this.work;
  }

  private async drain(): Promise<void> {
    for (let next = this.store.nextPending(); next; next = this.store.nextPending()) {
      await this.answer(next);
    }
  }

  private async answer(question: MessageView): Promise<void> {
    const conv = this.store.conversation()!;
    if (conv.human_takeover === 1) {
      this.store.setAnswerState(question.id, "skipped");
      return;
    }
    const started = Date.parse(question.created_at);
    const language = question.language ?? "en";
    const assistant = await loadAnsweringAssistant(this.env.DB, conv.workspace_id, conv.assistant_id);

    if (!assistant || asksForHuman(question.content)) {
      this.finishWithHandoff(question, language, assistant ? "user_request" : "no_match", started);
      return;
    }

    // No model call without the workspace's budget: over it, the question gets no answer at all.
    let budget: ModelBudgetGrant;
    try {
      budget = await checkModelBudget(this.env, conv.workspace_id);
    } catch (err) {
      if (!(err instanceof ModelBudgetExceeded)) throw err;
      this.refuseOverBudget(question, err);
      return;
    }

    const answerId = newId("message");
    this.store.insertMessage({
      id: answerId,
      sender_type: "assistant",
      content: "",
      status: "streaming",
      language,
      reply_to: question.id,
      created_at: nowIso(),
    });
    this.broadcast({ type: "typing", sender_type: "assistant" }, undefined, question.id);
    const controller = new AbortController();
    this.generation = { messageId: answerId, controller };

    const history: ChatMessage[] = this.store
      .recentMessages(HISTORY_MESSAGES, question.seq)
      .filter((m) => m.sender_type !== "system" && m.content.length > 0)
      .map((m) => ({ role: m.sender_type === "visitor" ? "user" : "assistant", content: m.content }));

    const generator = generateAnswer(this.env, { assistant, question: question.content, language, history, signal: controller.signal }, budget);
    let seq = 0;
    let step = await generator.next();
    while (!step.done) {
      this.store.appendChunk(answerId, seq, step.value);
      this.broadcast({ type: "delta", message_id: answerId, delta: step.value, seq }, undefined, question.id);
      seq += 1;
      step = await generator.next();
    }
    const outcome = step.value;
    this.generation = null;

    const final = this.store.finishAnswer(
      answerId,
      {
        content: outcome.content,
        status: outcome.status,
        sources: outcome.sources,
        confidence: outcome.confidence,
        tokens_used: outcome.tokens_used,
        latency_ms: Date.now() - started,
        cost_usd: outcome.cost_usd,
        model: outcome.model,
      },
      nowIso(),
    );
    this.store.setAnswerState(question.id, "answered");
    this.store.enqueueOutbox("message", answerId);
    this.store.enqueueOutbox("conversation", conv.id);
    if (outcome.error) {
      this.broadcast({ type: "error", code: outcome.error.code, message: outcome.error.message, message_id: answerId }, undefined, question.id);
    }
    this.broadcast({ type: "response", message: final }, undefined, question.id);
    this.emit({
      type: "message.answered",
      latency_ms: final.latency_ms,
      tokens: outcome.tokens_used,
      cost_usd: outcome.cost_usd,
      properties: {
        confidence: outcome.confidence,
        status: outcome.status,
        model: outcome.model,
        no_match: outcome.noMatch,
        sources: outcome.sources.length,
        ...(outcome.noMatch ? { question: question.content.slice(0, 500) } : {}),
      },
    });

    if (outcome.status === "complete" && this.store.conversation()!.status !== "escalated") {
      const reason: EscalationView["reason"] | null = outcome.noMatch
        ? "no_match"
        : outcome.confidence < assistant.escalation_threshold
          ? "low_confidence"
          : soundsFrustrated(question.content)
            ? "negative_sentiment"
            : null;
      if (reason) this.openEscalation(reason, null, question.id);
    }
    this.flushSoon();
  }

  /**
   * Leaves a question unanswered because the workspace's model budget is used up: nothing is
   * stored as an answer, and every socket and the REST caller waiting on it hear `rate_limited`
   * with the question's client id (so the widget marks that message) and when to retry.
   */
  private refuseOverBudget(question: MessageView, refusal: ModelBudgetExceeded): void {
    this.store.setAnswerState(question.id, "skipped");
    this.broadcast(
      { type: "error", code: refusal.code, message: refusal.message, retry_after: refusal.retryAfterSeconds, client_id: question.client_id },
      undefined,
      question.id,
    );
    this.emit({ type: "message.refused", properties: { reason: "model_budget" } });
  }

  /** Answers a request for a person with a short hand-off line, then escalates. */
  private finishWithHandoff(question: MessageView, language: string, reason: EscalationView["reason"], started: number) {
    const message = this.store.insertMessage({
      id: newId("message"),
      sender_type: "assistant",
      content: handoffText(language),
      status: "complete",
      language,
      reply_to: question.id,
      created_at: nowIso(),
    });
    const final = this.store.finishAnswer(
      message.id,
      { content: message.content, status: "complete", confidence: 0, latency_ms: Date.now() - started },
      nowIso(),
    );
    this.store.setAnswerState(question.id, "answered");
    this.store.enqueueOutbox("message", message.id);
    this.broadcast({ type: "response", message: final }, undefined, question.id);
    this.openEscalation(reason, null, question.id);
    this.flushSoon();
  }

  private openEscalation(reason: EscalationView["reason"], note: string | null, replyTo?: string): EscalationOutcome {
    const existing = this.store.openEscalation();
    if (existing) return { escalation: existing };
    const conv = this.store.conversation()!;
    const nowMs = Date.now();
    const allowance = escalationAllowance(this.store.escalationTimesSince(escalationWindowStart(nowMs)), nowMs);
    if (!allowance.allowed) {
      this.logger.warn("escalation refused: daily bound reached", { conversation_id: conv.id, reason });
      return { escalation: null, retry_after_seconds: allowance.retryAfterSeconds };
    }
    const now = new Date(nowMs).toISOString();
    const escalation = this.store.insertEscalation({ id: newId("escalation"), reason, note, created_at: now, question_id: replyTo ?? null });
    this.store.updateConversation({ status: "escalated" }, now);
    this.store.enqueueOutbox("escalation", escalation.id);
    this.store.enqueueOutbox("conversation", conv.id);
    this.broadcast({ type: "escalation", escalation_id: escalation.id, ticket_id: null, reason }, undefined, replyTo);
    this.broadcastStatus(replyTo);
    this.emit({ type: "conversation.escalated", properties: { reason } });
    this.ctx.waitUntil(
      this.env.OUTBOUND_QUEUE.send(
        {
          type: "escalation.created",
          workspace_id: conv.workspace_id,
          assistant_id: conv.assistant_id,
          conversation_id: conv.id,
          escalation_id: escalation.id,
          reason,
          channel: conv.channel,
        },
        { contentType: "json" },
      ).catch((err) => this.logger.error("escalation job not queued", { error: err })),
    );
    this.flushSoon();
    return { escalation };
  }

  // ---- fan-out and helpers ---------------------------------------------------------------

  private send(ws: WebSocket, event: ServerEvent): void {
    try {
      ws.send(JSON.stringify(event));
    } catch {
      // The socket is closing; its close handler tidies up.
    }
  }

  /**
   * Sends an event to every socket (visitor typing only reaches agents) except `skip`, and to
   * the REST stream waiting on `replyTo`.
   */
  private broadcast(event: ServerEvent, skip?: WebSocket, replyTo?: string): void {
    const agentsOnly = event.type === "typing" && event.sender_type === "visitor";
    const json = JSON.stringify(event);
    for (const ws of agentsOnly ? this.staffSockets() : this.ctx.getWebSockets()) {
      if (ws === skip) continue;
      try {
        ws.send(json);
      } catch {
        // closing socket
      }
    }
    for (const s of this.subscribers) if (replyTo === undefined || s.replyTo === replyTo) s.write(event);
  }

  private statusFields() {
    const conv = this.store.conversation()!;
    return { status: conv.status, human_takeover: conv.human_takeover === 1 };
  }

  private statusEvent(): ServerEvent {
    return { type: "status", ...this.statusFields() };
  }

  private broadcastStatus(replyTo?: string): void {
    this.broadcast(this.statusEvent(), undefined, replyTo);
  }

  private view(): ConversationView {
    return toConversationView(this.requireConversation());
  }

  private requireConversation(): ConversationRow {
    const conv = this.store.conversation();
    if (!conv) throw new ApiError("not_found", "conversation not found");
    return conv;
  }

  /** Queues an analytics event about this conversation. */
  private emit(e: Pick<AnalyticsEvent, "type"> & Partial<AnalyticsEvent>): void {
    const conv = this.store.conversation();
    if (!conv) return;
    const event: AnalyticsEvent = {
      id: newId("event"),
      workspace_id: conv.workspace_id,
      assistant_id: conv.assistant_id,
      conversation_id: conv.id,
      visitor_id: conv.visitor_id,
      channel: conv.channel,
      created_at: nowIso(),
      ...e,
    };
    this.ctx.waitUntil(
      this.env.ANALYTICS_QUEUE.send(event, { contentType: "json" }).catch((err) =>
        this.logger.error("analytics event not queued", { error: err, type: event.type }),
      ),
    );
  }
}
