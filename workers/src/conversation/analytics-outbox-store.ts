/**
 * The analytics events of a conversation object not yet on the analytics queue. An event is
 * written here when it happens (in the same storage transaction as the change it describes) and
 * leaves only once `sendBatch` took it, so a queue outage delays events and loses none; the
 * flush (`outbox.ts`) sends a turn's events together. The sinks ignore an event id they hold,
 * so one sent twice after a lost acknowledgement is counted once.
 */
import type { AnalyticsEvent } from "../analytics/sink";
import type { Row } from "./store-rows";

/** A due analytics event, with its JSON as stored. */
export interface PendingAnalyticsEvent {
  seq: number;
  body: string;
  attempts: number;
}

/** Typed access to the analytics outbox table; synchronous, like the rest of the store. */
export class AnalyticsOutboxStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Keeps an event until the queue has it. */
  add(event: AnalyticsEvent, now = Date.now()): void {
    this.sql.exec("INSERT INTO analytics_outbox (body, next_attempt_at) VALUES (?, ?)", JSON.stringify(event), now);
  }

  /** Events due by `now`, oldest first. */
  due(now: number, limit: number): PendingAnalyticsEvent[] {
    return (this.sql
      .exec("SELECT seq, body, attempts FROM analytics_outbox WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?", now, limit)
      .toArray() as Row[]).map((r) => ({ seq: r.seq as number, body: r.body as string, attempts: r.attempts as number }));
  }

  /** Removes events the queue accepted. */
  clear(events: readonly PendingAnalyticsEvent[]): void {
    if (events.length === 0) return;
    this.sql.exec("DELETE FROM analytics_outbox WHERE seq IN (SELECT value FROM json_each(?))", JSON.stringify(events.map((e) => e.seq)));
  }

  /** Schedules events for another try after a failure. */
  defer(events: readonly PendingAnalyticsEvent[], nextAttemptAt: number, error: string): void {
    for (const e of events) {
      this.sql.exec("UPDATE analytics_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?", nextAttemptAt, error.slice(0, 500), e.seq);
    }
  }

  /** When the next event is due (ms epoch), or null when none waits. */
  nextAt(): number | null {
    return (this.sql.exec("SELECT min(next_attempt_at) AS t FROM analytics_outbox").one().t as number | null) ?? null;
  }

  /** Events waiting for the queue. */
  size(): number {
    return this.sql.exec("SELECT count(*) AS n FROM analytics_outbox").one().n as number;
  }
}
