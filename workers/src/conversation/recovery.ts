/**
 * A conversation object waking after a restart or an eviction: the answer it was generating is
 * gone with the old isolate, so an answer still marked streaming is closed as failed with what
 * it had streamed, and the alarm picks up whatever else was left (questions, the outboxes).
 */
import { nowIso } from "../lib/time";
import type { ConversationContext } from "./conversation-context";
import { interruptedAnswerFields } from "./turn-decisions";

/** How soon the alarm retries work left over by a restart (pending answers, outbox). */
export const RECOVERY_DELAY_MS = 100;

/** Closes the answers a restart cut off, and sets the alarm when work is left over. */
export async function recoverAfterRestart(cx: ConversationContext): Promise<void> {
  const { store, fanOut } = cx;
  if (!store.conversation()) return;
  const now = nowIso();
  for (const m of store.streamingMessages()) {
    const failed = store.finishAnswer(m.id, interruptedAnswerFields(store.chunks(m.id).map((c) => c.delta)), now);
    store.outbox.enqueue("message", m.id);
    fanOut.broadcast({ type: "error", code: "generation_interrupted", message: "the answer was interrupted", message_id: m.id });
    fanOut.broadcast({ type: "response", message: failed });
    // The question it answered is settled: asking again is the visitor's call.
    store.settleQuestionOf(m.id);
  }
  if (store.nextPending() || store.outbox.size() > 0 || store.analyticsOutbox.size() > 0) {
    await cx.storage.setAlarm(Date.now() + RECOVERY_DELAY_MS);
  }
}
