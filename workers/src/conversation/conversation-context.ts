/**
 * What the parts of a conversation object share: its bindings and storage, its store, who hears
 * its events, the answer being generated, and the background work every change ends with (an
 * analytics event, the copy to D1). The object builds one in its constructor and hands it to the
 * modules that do its work (`answer-turn.ts`, `visitor-messages.ts`, `open-escalation.ts`, …).
 */
import { Confirmations } from "./confirmations";
import type { AnalyticsEvent } from "../analytics/sink";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { createLogger, type Logger } from "../lib/logger";
import { nowIso } from "../lib/time";
import { currentTraceparent, type TraceContext } from "../lib/trace-context";
import { statusEvent } from "./conversation-view";
import { FanOut } from "./fan-out";
import { InOrder } from "./in-order";
import { flushAnalytics, flushOutbox, FLUSH_BATCH_SIZE } from "./outbox";
import { ConversationStore } from "./store";
import type { ConversationRow } from "./store-rows";

/**
 * How long a change waits for others before its copy leaves (ms): long enough that a turn's
 * writes (the question, the answer, the conversation row, their analytics events) usually share
 * one D1 batch and one queue batch, short enough that the dashboard's copy is current at once.
 */
export const FLUSH_DELAY_MS = 20;

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
  /** Changing actions waiting for the visitor's `confirm`. */
  readonly confirmations: Confirmations;
  readonly logger: Logger;
  /**
   * The trace of each visitor message waiting for its answer, so the answer joins it. Memory
   * only, by design: a trace is for diagnosis, and an answer a restart left waiting starts anew.
   */
  readonly questionTraces: Map<string, TraceContext>;
  /** Keeps background work alive after the current call returns. */
  waitUntil(work: Promise<unknown>): void;
  /** Records an analytics event about this conversation (none before it exists); it reaches the queue with the next flush. */
  emit(event: ConversationEvent): void;
  /** Copies what changed to D1 and the analytics queue now, and sets the alarm for whatever could not be copied. */
  flush(): Promise<void>;
  /** `flush` within `FLUSH_DELAY_MS` (at once when a full batch waits), in the background; the outboxes keep everything meanwhile. */
  flushSoon(): void;
}

/** The context of the conversation object with this state. */
export function createConversationContext(state: DurableObjectState, env: Env): ConversationContext {
  const store = new ConversationStore(state.storage.sql);
  const logger = createLogger({ component: "conversation" });
  const waitUntil = (work: Promise<unknown>) => state.waitUntil(work);

  // One flush at a time: two at once would send the same analytics events twice.
  const flushes = new InOrder();
  const flushOnce = async () => {
    const [rows, events] = await Promise.all([flushOutbox(store, env.DB), flushAnalytics(store, env.ANALYTICS_QUEUE)]);
    if (rows.failed > 0) logger.warn("outbox flush failed; will retry", { pending: rows.failed });
    if (events.failed > 0) logger.warn("analytics events not queued; will retry", { pending: events.failed });
    const due = [rows.nextAt, events.nextAt].filter((t): t is number => t !== null);
    if (due.length > 0) {
      const nextAt = Math.min(...due);
      const current = await state.storage.getAlarm();
      if (current === null || current > nextAt) await state.storage.setAlarm(nextAt);
    }
  };
  const flush = () => flushes.run(flushOnce);
  const flushInBackground = () => waitUntil(flush().catch((err) => logger.error("outbox flush crashed", { error: err })));

  // Memory only: after an eviction the rows are still in the outboxes, and the object's
  // recovery sets the alarm for them.
  let scheduled: ReturnType<typeof setTimeout> | null = null;
  const flushSoon = () => {
    if (store.outbox.size() >= FLUSH_BATCH_SIZE) {
      flushInBackground();
      return;
    }
    if (scheduled !== null) return;
    waitUntil(
      new Promise<void>((resolve) => {
        scheduled = setTimeout(() => {
          scheduled = null;
          flush()
            .catch((err) => logger.error("outbox flush crashed", { error: err }))
            .finally(resolve);
        }, FLUSH_DELAY_MS);
      }),
    );
  };

  const emit = (e: ConversationEvent) => {
    const conv = store.conversation();
    if (!conv) return;
    store.analyticsOutbox.add({
      id: newId("event"),
      workspace_id: conv.workspace_id,
      assistant_id: conv.assistant_id,
      conversation_id: conv.id,
      visitor_id: conv.visitor_id,
      channel: conv.channel,
      created_at: nowIso(),
      ...e,
      traceparent: currentTraceparent(),
    });
    flushSoon();
  };

  return {
    env,
    storage: state.storage,
    store,
    fanOut: new FanOut(state),
    generation: new Generation(),
    confirmations: new Confirmations(),
    logger,
    questionTraces: new Map(),
    waitUntil,
    emit,
    flush,
    flushSoon,
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
