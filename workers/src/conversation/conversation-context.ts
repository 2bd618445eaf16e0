/**
 * What the parts of a conversation object share: its bindings and storage, its store, who hears
 * its events, the answer being generated, and the background work every change ends with (an
 * analytics event, the copy to D1). The object builds one in its constructor and hands it to the
 * modules that do its work (`answer-turn.ts`, `visitor-messages.ts`, `open-escalation.ts`, …).
 */
import type { AnalyticsEvent } from "../analytics/sink";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { createLogger, type Logger } from "../lib/logger";
import { nowIso } from "../lib/time";
import { statusEvent } from "./conversation-view";
import { FanOut } from "./fan-out";
import { flushOutbox } from "./outbox";
import { ConversationStore } from "./store";
import type { ConversationRow } from "./store-rows";

/** An analytics event about the conversation: its type and whatever the conversation does not fill in. */
export type ConversationEvent = Pick<AnalyticsEvent, "type"> & Partial<AnalyticsEvent>;

/** The answer being generated now, so `stop` and a person's reply can abort it. Lost on eviction, by design. */
export class Generation {
  private current: { messageId: string; controller: AbortController } | null = null;

  /** Marks `messageId` as being generated; its signal aborts when `abort` is called. */
  start(messageId: string): AbortSignal {
    const controller = new AbortController();
    this.current = { messageId, controller };
    return controller.signal;
  }

  /** The generation ended on its own. */
  end(): void {
    this.current = null;
  }

  /** Stops the answer being generated, if any. */
  abort(): void {
    this.current?.controller.abort();
  }
}

/** What a conversation object's modules work with. */
export interface ConversationContext {
  readonly env: Env;
  readonly storage: DurableObjectStorage;
  readonly store: ConversationStore;
  readonly fanOut: FanOut;
  readonly generation: Generation;
  readonly logger: Logger;
  /** Keeps background work alive after the current call returns. */
  waitUntil(work: Promise<unknown>): void;
  /** Queues an analytics event about this conversation (none before it exists). */
  emit(event: ConversationEvent): void;
  /** Copies what changed to D1 now, and sets the alarm for whatever could not be copied. */
  flush(): Promise<void>;
  /** `flush` in the background; the outbox keeps everything if D1 is unavailable. */
  flushSoon(): void;
}

/** The context of the conversation object with this state. */
export function createConversationContext(state: DurableObjectState, env: Env): ConversationContext {
  const store = new ConversationStore(state.storage.sql);
  const logger = createLogger({ component: "conversation" });
  const waitUntil = (work: Promise<unknown>) => state.waitUntil(work);

  const flush = async () => {
    const result = await flushOutbox(store, env.DB);
    if (result.failed > 0) logger.warn("outbox flush failed; will retry", { pending: result.failed });
    if (result.nextAt !== null) {
      const current = await state.storage.getAlarm();
      if (current === null || current > result.nextAt) await state.storage.setAlarm(result.nextAt);
    }
  };

  const emit = (e: ConversationEvent) => {
    const conv = store.conversation();
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
    waitUntil(
      env.ANALYTICS_QUEUE.send(event, { contentType: "json" }).catch((err) =>
        logger.error("analytics event not queued", { error: err, type: event.type }),
      ),
    );
  };

  return {
    env,
    storage: state.storage,
    store,
    fanOut: new FanOut(state),
    generation: new Generation(),
    logger,
    waitUntil,
    emit,
    flush,
    flushSoon: () => waitUntil(flush().catch((err) => logger.error("outbox flush crashed", { error: err }))),
  };
}

/** The conversation, or 404 when this object holds none. */
export function requireConversation(store: ConversationStore): ConversationRow {
  const conv = store.conversation();
  if (!conv) throw new ApiError("not_found", "conversation not found");
  return conv;
}

/** Tells every socket (and the REST stream waiting on `replyTo`) the conversation's status. */
export function broadcastStatus(cx: ConversationContext, replyTo?: string): void {
  cx.fanOut.broadcast(statusEvent(requireConversation(cx.store)), undefined, replyTo);
}
