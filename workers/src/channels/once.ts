/**
 * At-most-once side effects on top of at-least-once delivery. Webhook retries and queue
 * redeliveries are normal; a key in `processed_events` (source, event_id) records that a
 * delivery was handled or a message was sent, so a repeat does nothing.
 */

/** Claims `(source, id)`; true for the first claim, false when it was already claimed. */
export async function claimEvent(db: D1Database, source: string, id: string): Promise<boolean> {
  const result = await db
    .prepare("INSERT INTO processed_events (source, event_id) VALUES (?, ?) ON CONFLICT (source, event_id) DO NOTHING")
    .bind(source, id)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Gives a claim back (the work it stood for could not be queued), so a retry is accepted. */
export async function releaseEvent(db: D1Database, source: string, id: string): Promise<void> {
  await db.prepare("DELETE FROM processed_events WHERE source = ? AND event_id = ?").bind(source, id).run();
}

/** True when `(source, id)` was claimed. */
export async function wasClaimed(db: D1Database, source: string, id: string): Promise<boolean> {
  const row = await db.prepare("SELECT 1 AS hit FROM processed_events WHERE source = ? AND event_id = ?").bind(source, id).first();
  return row !== null;
}

/**
 * Runs `send` unless it already succeeded for this key, and records its success. A crash
 * between the send and the record repeats the send once: at-least-once, never silently lost.
 */
export async function sendOnce(db: D1Database, source: string, id: string, send: () => Promise<void>): Promise<"sent" | "already_sent"> {
  if (await wasClaimed(db, source, id)) return "already_sent";
  await send();
  await claimEvent(db, source, id);
  return "sent";
}

