// Over 400 lines: one thin entry point per RPC, socket event and alarm, each handing its work to a module.
import { DurableObject } from "cloudflare:workers";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { continueTrace, currentTrace, newTrace, runInTrace } from "../lib/trace-context";
import { reportObjectSockets } from "../limits/open-sockets";
import { answerQuestion } from "./answer-turn";
import {
  broadcastStatus,
  createConversationContext,
  requireConversation,
  type ConversationContext,
} from "./conversation-context";
import {
  metadataOf,
  statusEvent,
  toConversationView,
  type ConversationInit,
  type ConversationView,
} from "./conversation-view";
import type { EscalationOutcome } from "./escalation-limit";
import { createEventStream } from "./event-stream";
import { InOrder } from "./in-order";
import { questionToLearn } from "./learnable-question";
import { openEscalation } from "./open-escalation";
import type { EscalationView, MessageView } from "./protocol";
import { recoverAfterRestart } from "./recovery";
import { replayEvents } from "./resume";
import { sanitizeMessage } from "./sanitize";
import { attachmentFromUpgrade, parseClientFrame, typingEventOf, type SocketAttachment } from "./socket-frames";
import { admitStaffFrame, armStaffRecheck, recheckStaffSockets, staffHolderOf } from "./staff-recheck";
import { acceptVisitorMessage, receiveSocketMessage } from "./visitor-messages";
import { answerWaitingConfirmation } from "./action-turn";

/** Visitor messages read back when looking for the question a resolution answers: far more than a hand-off holds. */
const QUESTION_LOOKBACK_MESSAGES = 50;

/**
 * One conversation: the source of truth for its messages, the WebSockets of everyone watching
 * it (visitor tabs and agents), the answer being generated, and the copy of it all to D1.
 *
 * The class only wires I/O: RPC calls, socket events and the alarm arrive here and go to the
 * module that does the work (`answer-turn.ts`, `visitor-messages.ts`, `open-escalation.ts`,
 * `resume.ts`, `staff-recheck.ts`, `recovery.ts`), all sharing one `ConversationContext`.
 */
export class ConversationDO extends DurableObject<Env> {
  private readonly cx: ConversationContext;
  /** Socket message admissions (limiter check, then store), in arrival order. */
  private readonly admissions = new InOrder();
  /** Answering: one answer at a time, in message order. */
  private readonly answering = new InOrder();
  /** Staff frames' role checks, in arrival order. */
  private readonly staffChecks = new InOrder();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.cx = createConversationContext(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    void ctx.blockConcurrencyWhile(async () => recoverAfterRestart(this.cx));
  }

  /** Retries the outbox, answers anything a restart left waiting, and re-checks staff sockets. */
  override async alarm(): Promise<void> {
    if (!this.cx.store.conversation()) return;
    if (this.cx.store.nextPending()) await this.enqueueWork();
    await this.cx.flush();
    await recheckStaffSockets(this.cx);
  }

  // ---- RPC used by the Worker's routes and jobs --------------------------------------------

  /**
   * Creates the conversation (idempotent) and answers its first message if there is one, in the
   * trace of the caller's `traceparent` (W3C; a new trace when absent).
   */
  async init(init: ConversationInit, initialMessage?: string, traceparent?: string): Promise<ConversationView> {
    return runInTrace(continueTrace(traceparent), () => this.create(init, initialMessage));
  }

  private async create(init: ConversationInit, initialMessage?: string): Promise<ConversationView> {
    const now = nowIso();
    const { store } = this.cx;
    store.createConversation({
      id: init.id,
      workspace_id: init.workspace_id,
      assistant_id: init.assistant_id,
      channel: init.channel,
      visitor_id: init.visitor_id,
      metadata: JSON.stringify(init.metadata),
      external_ref: init.external_ref,
      verified: init.identity ? 1 : 0,
      identity: init.identity ? JSON.stringify(init.identity) : null,
      created_at: now,
      updated_at: now,
    });
    store.outbox.enqueue("conversation", init.id);
    await this.cx.flush();
    this.cx.emit({ type: "conversation.created" });
    if (initialMessage !== undefined) {
      acceptVisitorMessage(this.cx, initialMessage, null);
      void this.enqueueWork();
    }
    return this.view();
  }

  /** The conversation, or null when this object holds none. */
  async describe(): Promise<ConversationView | null> {
    const conv = this.cx.store.conversation();
    return conv ? toConversationView(conv) : null;
  }

  /** Messages after sequence number `afterSeq`, oldest first. */
  async listMessages(afterSeq: number, limit: number): Promise<MessageView[]> {
    requireConversation(this.cx.store);
    return this.cx.store.messagesAfter(afterSeq, limit);
  }

  /**
   * A visitor message over REST. Returns a stream of the events about it (ack, deltas, the
   * response, escalation; `event-stream.ts`) that ends when it is answered. A re-sent
   * `client_id` is not answered again: the stream replays the stored answer. The message and its
   * answer belong to the trace of the caller's `traceparent` (a new trace when absent).
   */
  async submit(content: string, clientId: string | null, traceparent?: string): Promise<ReadableStream<Uint8Array>> {
    return runInTrace(continueTrace(traceparent), () => this.submitInTrace(content, clientId));
  }

  private submitInTrace(content: string, clientId: string | null): ReadableStream<Uint8Array> {
    requireConversation(this.cx.store);
    const { message, duplicate } = acceptVisitorMessage(this.cx, content, clientId);
    const { stream, write, close } = createEventStream();
    write({ type: "ack", client_id: clientId, message_id: message.id });
    if (duplicate) {
      const answer = this.cx.store.answerTo(message.id);
      if (answer && answer.status !== "streaming") write({ type: "response", message: answer });
      close();
      return stream;
    }
    // A channel visitor's yes or no to a waiting call hears the rest of the answer that asked.
    const replyTo = answerWaitingConfirmation(this.cx, message) ?? message.id;
    const unsubscribe = this.cx.fanOut.subscribe({ replyTo, write, end: close });
    void this.enqueueWork().finally(() => {
      unsubscribe();
      close();
    });
    return stream;
  }

  /** A human agent's reply: the AI goes quiet until the conversation is handed back. */
  async agentMessage(content: string, agentId: string, agentName: string | null = null): Promise<MessageView> {
    const conv = requireConversation(this.cx.store);
    const { store, fanOut } = this.cx;
    const text = sanitizeMessage(content);
    const now = nowIso();
    this.cx.generation.abort();
    const message = store.insertMessage({
      id: newId("message"),
      sender_type: "human_agent",
      sender_id: agentId,
      sender_name: agentName,
      content: text,
      status: "complete",
      created_at: now,
    });
    store.skipAllPending();
    const wasTakenOver = requireConversation(store).human_takeover === 1;
    store.updateConversation({ human_takeover: 1 }, now);
    store.outbox.enqueue("message", message.id);
    store.outbox.enqueue("conversation", conv.id);
    fanOut.broadcast({ type: "agent_message", message });
    if (!wasTakenOver) broadcastStatus(this.cx);
    this.cx.emit({ type: "agent.replied" });
    this.cx.flushSoon();
    return message;
  }

  /** Gives the conversation back to the AI after a human took over. */
  async handBack(): Promise<ConversationView> {
    const conv = requireConversation(this.cx.store);
    this.cx.store.updateConversation({ human_takeover: 0, status: "active" }, nowIso());
    this.cx.store.outbox.enqueue("conversation", conv.id);
    broadcastStatus(this.cx);
    this.cx.flushSoon();
    return this.view();
  }

  /**
   * Hands the conversation to a person; an open escalation is returned rather than doubled, and
   * past the daily bound none is opened (the outcome says when another may be).
   */
  async escalate(reason: EscalationView["reason"], note: string | null): Promise<EscalationOutcome> {
    requireConversation(this.cx.store);
    return openEscalation(this.cx, reason, note);
  }

  /** An escalation of this conversation, or null. */
  async getEscalation(id: string): Promise<EscalationView | null> {
    return this.cx.store.escalation(id);
  }

  /** Marks the conversation resolved, closes its escalations and queues the CRM's note. */
  async resolve(): Promise<ConversationView> {
    const conv = requireConversation(this.cx.store);
    const { store } = this.cx;
    const now = nowIso();
    if (conv.status !== "resolved") {
      for (const id of store.resolveEscalations(now)) store.outbox.enqueue("escalation", id);
      store.updateConversation({ status: "resolved", resolved_at: now, human_takeover: 0 }, now);
      store.outbox.enqueue("conversation", conv.id);
      broadcastStatus(this.cx);
      this.cx.emit({ type: "conversation.resolved" });
      // The CRM hears of it through the outbound queue (logged on the visitor's contact, when connected).
      const job = { type: "conversation.resolved", workspace_id: conv.workspace_id, conversation_id: conv.id, resolved_at: now };
      this.cx.waitUntil(
        this.env.OUTBOUND_QUEUE.send(job, { contentType: "json" }).catch((err) => this.cx.logger.error("resolution job not queued", { error: err })),
      );
      this.cx.flushSoon();
    }
    return this.view();
  }

  /**
   * The visitor's question the AI could not answer (see `questionToLearn`), or null: what a
   * person resolving the conversation with an article teaches that article.
   */
  async unansweredQuestion(): Promise<{ message_id: string; content: string } | null> {
    requireConversation(this.cx.store);
    const question = questionToLearn(this.cx.store.recentVisitorMessages(QUESTION_LOOKBACK_MESSAGES), this.cx.store.latestEscalation());
    return question ? { message_id: question.id, content: question.content } : null;
  }

  /** Records the visitor's rating (0..5) and comment. */
  async rate(score: number, comment: string | null): Promise<ConversationView> {
    const conv = requireConversation(this.cx.store);
    this.cx.store.updateConversation({ satisfaction_score: score, satisfaction_comment: comment }, nowIso());
    this.cx.store.outbox.enqueue("conversation", conv.id);
    this.cx.emit({ type: "satisfaction.submitted", properties: { score } });
    this.cx.flushSoon();
    return this.view();
  }

  /** Records the external ticket an escalation created (from the outbound queue). */
  async recordTicket(escalationId: string, ticketId: string): Promise<void> {
    const esc = this.cx.store.escalation(escalationId);
    if (!esc) return;
    this.cx.store.setTicket(escalationId, ticketId);
    this.cx.store.outbox.enqueue("escalation", escalationId);
    this.cx.fanOut.broadcast({ type: "escalation", escalation_id: escalationId, ticket_id: ticketId, reason: esc.reason });
    this.cx.flushSoon();
  }

  /**
   * Notes on the conversation (metadata `delivery_error`, copied to D1) that an answer or a
   * ticket could not be delivered through its channel, and tells the agents watching; `null`
   * clears the note once a delivery succeeds.
   */
  async recordDeliveryError(error: { provider: string; message: string } | null): Promise<void> {
    const conv = requireConversation(this.cx.store);
    const metadata = metadataOf(conv);
    if (error === null) {
      if (!("delivery_error" in metadata)) return;
      delete metadata.delivery_error;
      delete metadata.delivery_error_at;
    } else {
      metadata.delivery_error = `${error.provider}: ${error.message}`.slice(0, 500);
      metadata.delivery_error_at = nowIso();
    }
    this.cx.store.updateConversation({ metadata: JSON.stringify(metadata) }, nowIso());
    this.cx.store.outbox.enqueue("conversation", conv.id);
    if (error !== null) {
      for (const ws of this.cx.fanOut.staffSockets()) {
        this.cx.fanOut.send(ws, { type: "error", code: "delivery_failed", message: metadata.delivery_error as string });
      }
    }
    this.cx.flushSoon();
  }

  /**
   * Erases everything this object holds (visitor erasure, retention, workspace deletion): the
   * answer being generated stops, sockets close, storage is emptied and no alarm is left.
   * Returns how many messages were erased.
   */
  async erase(): Promise<number> {
    this.cx.generation.abort();
    const messages = this.cx.store.conversation() ? this.cx.store.messageCount() : 0;
    this.cx.fanOut.closeAll(1000, "conversation erased");
    this.cx.store.eraseAll();
    await this.ctx.storage.deleteAlarm();
    return messages;
  }

  /** Entries still waiting for D1 (operations and tests). */
  async outboxSize(): Promise<number> {
    return this.cx.store.outbox.size();
  }

  /** Retries the outbox now (operations and tests). */
  async flushNow(): Promise<number> {
    await this.cx.flush();
    return this.cx.store.outbox.size();
  }

  // ---- WebSockets ---------------------------------------------------------------------------

  /** Accepts a socket the Worker has already authorised (role and participant in headers). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a websocket", { status: 426 });
    }
    const conv = this.cx.store.conversation();
    if (!conv) return new Response("conversation not found", { status: 404 });
    const attachment = attachmentFromUpgrade(request.headers, nowIso());
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [attachment.role]);
    reportObjectSockets(this.ctx.id.toString(), this.ctx.getWebSockets());
    server.serializeAttachment(attachment);
    this.cx.fanOut.send(server, statusEvent(conv));
    if (attachment.role !== "visitor") await armStaffRecheck(this.ctx.storage);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Each frame is its own trace: a visitor's message and its answer share it. */
  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    return runInTrace(newTrace(), () => this.receiveFrame(ws, data));
  }

  private async receiveFrame(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const parsed = parseClientFrame(data);
    if ("error" in parsed) {
      this.cx.fanOut.send(ws, parsed.error);
      return;
    }
    const { frame } = parsed;
    const who = ws.deserializeAttachment() as SocketAttachment;
    const staff = staffHolderOf(who);
    if (staff && !(await admitStaffFrame(this.cx, this.staffChecks, ws, staff, frame))) return;
    try {
      switch (frame.type) {
        case "ping":
          this.cx.fanOut.send(ws, statusEvent(requireConversation(this.cx.store)));
          return;
        case "typing":
          this.cx.fanOut.broadcast(typingEventOf(who.role), ws);
          return;
        case "stop":
          this.cx.generation.abort();
          return;
        case "confirm":
          // Only the visitor approves what is done in their name.
          if (who.role !== "visitor") {
            this.cx.fanOut.send(ws, { type: "error", code: "forbidden", message: "only the visitor can confirm an action" });
            return;
          }
          if (!this.cx.confirmations.answer(frame.call_id, frame.approve)) {
            this.cx.fanOut.send(ws, { type: "error", code: "not_found", message: "no action is waiting for that confirmation" });
          }
          return;
        case "resume":
          // Synchronous reads and sends: no delta can be produced between the replay and going live.
          for (const event of replayEvents(this.cx.store, frame.after ?? null)) this.cx.fanOut.send(ws, event);
          return;
        case "message":
          if (who.role === "agent") {
            const message = await this.agentMessage(frame.content, who.participantId, who.participantName ?? null);
            this.cx.fanOut.send(ws, { type: "ack", client_id: frame.client_id ?? null, message_id: message.id });
            return;
          }
          if (!(await this.admissions.run(() => receiveSocketMessage(this.cx, ws, who, frame.content, frame.client_id ?? null)))) return;
          await this.enqueueWork();
          return;
      }
    } catch (err) {
      if (err instanceof ApiError) this.cx.fanOut.send(ws, { type: "error", code: err.code, message: err.message });
      else {
        this.cx.logger.error("socket frame failed", { error: err });
        this.cx.fanOut.send(ws, { type: "error", code: "internal", message: "internal error" });
      }
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "closing");
    } catch {
      // already closed
    }
    reportObjectSockets(this.ctx.id.toString(), this.ctx.getWebSockets());
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    this.cx.logger.warn("socket error", { error });
    reportObjectSockets(this.ctx.id.toString(), this.ctx.getWebSockets());
  }

  // ---- answering ----------------------------------------------------------------------------

  /** Answers pending messages one at a time, each in its message's trace; resolves when none is left. */
  private enqueueWork(): Promise<void> {
    return this.answering
      .run(async () => {
        for (let next = this.cx.store.nextPending(); next; next = this.cx.store.nextPending()) {
          const question = next;
          const trace = this.cx.questionTraces.get(question.id) ?? currentTrace() ?? newTrace();
          this.cx.questionTraces.delete(question.id);
          await runInTrace(trace, () => answerQuestion(this.cx, question));
        }
      })
      .catch((err) => this.cx.logger.error("answering failed", { error: err }));
  }

  private view(): ConversationView {
    return toConversationView(requireConversation(this.cx.store));
  }
}
