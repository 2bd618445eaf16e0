/**
 * Counts workspaces' API calls for the billing page without a D1 write per call: the counts wait
 * in this isolate's memory and go out as one batch of upserts when enough have gathered or the
 * first of them has waited `FLUSH_AFTER_MS`, after the response, through `waitUntil`. The usage
 * the billing page reads (`monthUsage`) writes what this isolate holds first, so a workspace
 * reading its usage on the isolate that served its calls sees every one of them.
 *
 * What a lost isolate loses: the calls it counted since its last flush (at most `FLUSH_CALLS`
 * calls, counted over at most `FLUSH_AFTER_MS`) when it is evicted or crashes before the timer
 * fires, and a batch whose write fails (logged). These counts are shown on the billing page and
 * never decide a limit (the quota is enforced by the rate limiter's own windows), so a rare
 * undercount by a few calls is the price of taking D1 off every call's path.
 */
import { sql } from "drizzle-orm";
import { createLogger } from "../lib/logger";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import { usagePeriod } from "./usage-period";
import type { WaitUntil } from "../lib/wait-until";

const { usage_counters, workspaces } = schema;

const FLUSH_CALLS = 100; // calls held before they are written at once, whatever their age
const FLUSH_AFTER_MS = 5_000; // the longest a held call waits for its write

/** API calls of one workspace in one month, to add to its counter. */
export interface ApiCallCount {
  workspaceId: string;
  period: string;
  calls: number;
}


// Held counts by workspace and month; replaced, never mutated, once handed to a write.
let held = new Map<string, ApiCallCount>();
let heldCalls = 0;
// The write under way, which a reader waits for: its counts have left `held` but not yet landed.
let writing: Promise<void> = Promise.resolve();

/** Counts one API call of the workspace this month; written within `FLUSH_AFTER_MS`. */
export function meterApiCall(db: Db, workspaceId: string, waitUntil: WaitUntil, at = new Date()): void {
  const period = usagePeriod(at).period;
  const key = `${workspaceId}\u0000${period}`;
  const count = held.get(key);
  if (count) count.calls += 1;
  else held.set(key, { workspaceId, period, calls: 1 });
  heldCalls += 1;
  if (heldCalls >= FLUSH_CALLS) waitUntil(flushApiCalls(db));
  else if (heldCalls === 1) waitUntil(scheduler.wait(FLUSH_AFTER_MS).then(() => flushApiCalls(db)));
}

/**
 * Writes the calls this isolate holds and waits for any write already under way: after it, D1
 * has every call this isolate counted. Never throws; a failed write is logged and its calls lost.
 */
export async function flushApiCalls(db: Db): Promise<void> {
  if (heldCalls > 0) {
    const batch = [...held.values()];
    held = new Map();
    heldCalls = 0;
    const previous = writing;
    writing = previous.then(() => writeCounts(db, batch));
  }
  await writing;
}

/**
 * Adds the counts to their months' counters in one batch; failures are logged, not thrown. A
 * batch holds several workspaces' counts, and one of them may have been erased since its calls
 * were counted: its row is skipped (no workspace, no counter) rather than failing the batch,
 * which would lose every other workspace's calls with it.
 */
async function writeCounts(db: Db, counts: readonly ApiCallCount[]): Promise<void> {
  const now = nowIso();
  const [first, ...rest] = counts.map(({ workspaceId, period, calls }) =>
    db
      .insert(usage_counters)
      // The table's columns in order: workspace_id, period, conversations, api_calls, updated_at.
      .select(sql`SELECT ${workspaces.id}, ${period}, 0, ${calls}, ${now} FROM ${workspaces} WHERE ${workspaces.id} = ${workspaceId}`)
      .onConflictDoUpdate({
        target: [usage_counters.workspace_id, usage_counters.period],
        set: { api_calls: sql`${usage_counters.api_calls} + ${calls}`, updated_at: now },
      }),
  );
  if (!first) return;
  try {
    await db.batch([first, ...rest]);
  } catch (err) {
    createLogger({ component: "billing.usage" }).warn("api calls not metered", { error: err, calls: counts.reduce((n, c) => n + c.calls, 0) });
  }
}
