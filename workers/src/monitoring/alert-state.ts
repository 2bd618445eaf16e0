/**
 * Open alerts in D1 (`alert_states`), so each is announced once: opening claims the row only
 * when it was closed, closing only when it was open; whoever changed the row sends the notice,
 * and two overlapping runs never both do.
 */
import { nowIso } from "../lib/time";

/** A change an alert went through this run. */
export interface AlertChange {
  key: string;
  state: "opened" | "resolved";
  summary: string;
  /** When the alert opened (for a recovery: how long it lasted). */
  opened_at: string;
}

/** Marks `key` open; the change when it was not open before, else null. */
export async function openAlert(db: D1Database, key: string, summary: string): Promise<AlertChange | null> {
  const now = nowIso();
  const row = await db
    .prepare(
      `INSERT INTO alert_states (key, open, detail, opened_at, updated_at) VALUES (?, 1, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET open = 1, detail = excluded.detail, opened_at = excluded.opened_at, updated_at = excluded.updated_at
       WHERE alert_states.open = 0
       RETURNING opened_at`,
    )
    .bind(key, summary, now, now)
    .first<{ opened_at: string }>();
  return row ? { key, state: "opened", summary, opened_at: row.opened_at } : null;
}

/** Marks `key` clear; the change when it was open, else null. */
export async function resolveAlert(db: D1Database, key: string, summary: string): Promise<AlertChange | null> {
  const row = await db
    .prepare("UPDATE alert_states SET open = 0, detail = ?, updated_at = ? WHERE key = ? AND open = 1 RETURNING opened_at")
    .bind(summary, nowIso(), key)
    .first<{ opened_at: string }>();
  return row ? { key, state: "resolved", summary, opened_at: row.opened_at } : null;
}

/** Puts a change back when no notice of it could be sent, so the next run sends it again. */
export async function undoChange(db: D1Database, change: AlertChange): Promise<void> {
  await db
    .prepare("UPDATE alert_states SET open = ?, updated_at = ? WHERE key = ?")
    .bind(change.state === "opened" ? 0 : 1, nowIso(), change.key)
    .run();
}

/** Keys of the alerts open now. */
export async function openAlertKeys(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare("SELECT key FROM alert_states WHERE open = 1 ORDER BY key").all<{ key: string }>();
  return results.map((r) => r.key);
}
