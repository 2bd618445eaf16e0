/**
 * The outbox table of a conversation object: what still has to be copied to D1, with its retry
 * schedule. Repeated updates of one row coalesce into one entry; `outbox.ts` does the copying.
 */
import type { Row } from "./store-rows";

/** What is copied to D1 through the outbox. */
export type OutboxKind = "conversation" | "message" | "escalation";

/** A due outbox entry. */
export interface OutboxEntry {
  kind: OutboxKind;
  ref_id: string;
  attempts: number;
}

/** Typed access to the outbox table; every method is synchronous, like the rest of the store. */
export class OutboxStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Queues a copy to D1; repeated updates of one object coalesce into one write. */
  enqueue(kind: OutboxKind, refId: string, now = Date.now()): void {
    this.sql.exec(
      `INSERT INTO outbox (kind, ref_id, attempts, next_attempt_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (kind, ref_id) DO UPDATE SET next_attempt_at = min(next_attempt_at, excluded.next_attempt_at)`,
      kind,
      refId,
      now,
    );
  }

  /** Entries due by `now`, conversations first (D1 rows reference them). */
  due(now: number, limit: number): OutboxEntry[] {
    return (this.sql
      .exec(
        `SELECT kind, ref_id, attempts FROM outbox WHERE next_attempt_at <= ?
         ORDER BY CASE kind WHEN 'conversation' THEN 0 WHEN 'message' THEN 1 ELSE 2 END, rowid LIMIT ?`,
        now,
        limit,
      )
      .toArray() as Row[]).map((r) => ({ kind: r.kind as OutboxKind, ref_id: r.ref_id as string, attempts: r.attempts as number }));
  }

  /** Removes entries that reached D1. */
  clear(entries: OutboxEntry[]): void {
    for (const e of entries) this.sql.exec("DELETE FROM outbox WHERE kind = ? AND ref_id = ?", e.kind, e.ref_id);
  }

  /** Schedules entries for another try after a failure. */
  defer(entries: OutboxEntry[], nextAttemptAt: number, error: string): void {
    for (const e of entries) {
      this.sql.exec(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE kind = ? AND ref_id = ?",
        nextAttemptAt,
        error.slice(0, 500),
        e.kind,
        e.ref_id,
      );
    }
  }

  /** When the next entry is due (ms epoch), or null when the outbox is empty. */
  nextAt(): number | null {
    return (this.sql.exec("SELECT min(next_attempt_at) AS t FROM outbox").one().t as number | null) ?? null;
  }

  /** Entries waiting to reach D1 (for tests and health). */
  size(): number {
    return this.sql.exec("SELECT count(*) AS n FROM outbox").one().n as number;
  }
}
