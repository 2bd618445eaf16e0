import { DurableObject } from "cloudflare:workers";
import type { Plan } from "../billing/plans";
import { freshWorkspacePlan } from "../billing/workspace-plan";
import { applyBackoff, type BackoffDecision, type BackoffOp, type BackoffPolicy } from "./auth-backoff";
import {
  assertValidSpec,
  bucketExpiresAtMs,
  bucketIndex,
  evaluateWindow,
  oldestRelevantBucket,
  tightestVerdict,
  type WindowSpec,
  type WindowVerdict,
} from "./sliding-window";

/** The answer to one call: whether it may proceed, reported for the tightest window. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Name of the window reported (`burst`, `monthly`), or `none` when no window applies. */
  window: string;
  limit: number;
  /** Calls left in that window after this one. */
  remaining: number;
  /** When that window has forgotten every call counted so far, in Unix epoch seconds. */
  resetAt: number;
  /** Seconds to wait before a retry can succeed; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * One subject's windows inside a shared limiter object: a workspace's object holds the counters
 * of its conversations, visitors and model budget, so one call can check them all at once.
 */
export interface SubjectWindows {
  /** Names the subject's counters inside the object, e.g. `conversation:conv_1`; "" for the object's own. */
  subject: string;
  windows: readonly WindowSpec[];
  /** Only checked for room (one unit), never counted: a budget spent elsewhere with `spend`. */
  checkOnly?: boolean;
}

/** Options of `RateLimiterDO.hit`. */
export interface HitOptions {
  /** Calls this request counts for (default 1); heavier endpoints may cost more. */
  cost?: number;
  /** The instant to evaluate at, in epoch milliseconds (default: now). For tests. */
  nowMs?: number;
}

/**
 * The checks of one call for each plan its workspace may be on (`unknown`: no such workspace),
 * for `hitManyForPlan`: the workspace's object picks them by the plan it knows, so the caller
 * needs no plan of its own.
 */
export type ChecksByPlan = Readonly<Record<Plan | "unknown", readonly SubjectWindows[]>>;

/** What `hitManyForPlan` answers: the decision, and the plan it was made for. */
export interface PlanDecision {
  decision: RateLimitDecision;
  plan: Plan | null;
}

/**
 * How long a workspace's object trusts its copy of the plan. A change through Stripe is pushed
 * (`forgetPlan`) and counts from the next call; this bounds a change made any other way (an
 * operator editing D1) or a push that was lost, as the Worker's own copy does (one minute).
 */
export const PLAN_COPY_TTL_MS = 60_000;

const SCHEMA_VERSION = 1; // bump with a new entry in MIGRATIONS
const MIGRATIONS: readonly string[] = [
  // v1: one row per (window, bucket); the window key includes its geometry, so a changed bucket
  // size never reads another size's rows, and a changed limit keeps the calls already counted.
  `CREATE TABLE IF NOT EXISTS buckets (
     window_key TEXT NOT NULL,
     bucket INTEGER NOT NULL,
     count INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL,
     PRIMARY KEY (window_key, bucket)
   )`,
];

type BucketRow = { bucket: number; count: number };

/**
 * Storage key of a window: its subject, name and shape, not its limit (a plan change keeps the
 * counts). The object's own windows (subject "") keep the key they had before subjects existed.
 */
function windowKey(subject: string, spec: WindowSpec): string {
  const key = `${spec.name}:${spec.windowMs}:${spec.bucketMs}`;
  return subject === "" ? key : `${subject}|${key}`;
}

/** The decision reported for a set of verdicts (its tightest window), or "no window applies". */
function decisionOf(verdicts: readonly WindowVerdict[], nowMs: number): RateLimitDecision {
  const tightest = tightestVerdict(verdicts);
  if (!tightest) {
    return { allowed: true, window: "none", limit: 0, remaining: 0, resetAt: Math.ceil(nowMs / 1000), retryAfterSeconds: 0 };
  }
  return {
    allowed: tightest.allowed,
    window: tightest.name,
    limit: tightest.limit,
    remaining: tightest.remaining,
    resetAt: Math.ceil(tightest.resetAtMs / 1000),
    retryAfterSeconds: tightest.allowed ? 0 : Math.max(1, Math.ceil(tightest.retryAfterMs / 1000)),
  };
}

/**
 * Sliding-window counters for one subject (an API key, a dashboard user or a visitor), named
 * like `key:<key_id>`, or for one workspace (`workspace:<ws_id>`: the socket message limits of
 * its conversations and visitors, and its model-token budget, see `socket-limits.ts` and
 * `model-budget.ts`). Each call is checked against all of the subject's windows at once and
 * counted in all of them only if every one has room, so a refused call costs no quota.
 * Buckets live in SQLite and are pruned on write; an alarm deletes the whole object once every
 * bucket has expired, so idle visitors cost no storage.
 */
export class RateLimiterDO extends DurableObject<Env> {
  // Cache of "the tables exist"; SQLite remains the truth (false after `deleteAll`).
  private schemaReady = false;
  // A workspace object's copy of its workspace's plan; D1 remains the truth (see PLAN_COPY_TTL_MS).
  private planCopy: { workspaceId: string; plan: Plan | null; expiresAtMs: number } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.migrate();
  }

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    const row = sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    for (let v = row?.value ?? 0; v < SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v];
      if (step) sql.exec(step);
    }
    sql.exec(
      "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      SCHEMA_VERSION,
    );
    this.schemaReady = true;
  }

  /**
   * Checks one call against every window and, only if all of them have room, counts it in each.
   * The read and the write happen in one synchronous transaction, so concurrent calls for the
   * same subject cannot both take the last slot.
   */
  async hit(windows: readonly WindowSpec[], options: HitOptions = {}): Promise<RateLimitDecision> {
    return this.hitMany([{ subject: "", windows }], options);
  }

  /**
   * `hit` for several subjects in one call: the call goes through only if every window of every
   * subject has room, and is then counted in all of them except the `checkOnly` ones. One round
   * trip answers "may this conversation, this visitor and this workspace send one more?".
   */
  async hitMany(subjects: readonly SubjectWindows[], options: HitOptions = {}): Promise<RateLimitDecision> {
    const cost = options.cost ?? 1;
    if (!Number.isInteger(cost) || cost < 1) throw new RangeError(`invalid rate-limit cost ${cost}`);
    for (const s of subjects) s.windows.forEach(assertValidSpec);
    const nowMs = options.nowMs ?? Date.now();
    if (!this.schemaReady) this.migrate();

    const sql = this.ctx.storage.sql;
    const { verdicts, newestExpiryMs } = this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM buckets WHERE expires_ms <= ?", nowMs);
      const counted = subjects.flatMap((s) =>
        s.windows.map((spec) => {
          const key = windowKey(s.subject, spec);
          const counts = this.readCounts(key, spec, nowMs);
          // A check-only window asks for one unit of room: "is any budget left?"
          return { key, spec, counts, write: !s.checkOnly, verdict: evaluateWindow(spec, counts, nowMs, s.checkOnly ? 1 : cost) };
        }),
      );
      const allowed = counted.every((c) => c.verdict.allowed);
      let newest: number | null = null; // expiry of a freshly created bucket, to schedule cleanup
      if (allowed) {
        for (const { key, spec, counts, write } of counted) {
          if (!write) continue;
          const expiresMs = this.add(key, spec, nowMs, cost);
          if (!counts.has(bucketIndex(spec, nowMs))) newest = Math.max(newest ?? 0, expiresMs);
        }
      }
      return { verdicts: counted.map((c) => c.verdict), newestExpiryMs: newest };
    });

    if (newestExpiryMs !== null) await this.scheduleCleanup(newestExpiryMs);
    return decisionOf(verdicts, nowMs);
  }

  /**
   * `hitMany` with the checks of the workspace's plan (a workspace's object only): the plan is
   * kept here for PLAN_COPY_TTL_MS after one D1 read, so a visitor message costs no D1 read for it.
   */
  async hitManyForPlan(workspaceId: string, checks: ChecksByPlan, options: HitOptions = {}): Promise<PlanDecision> {
    const nowMs = options.nowMs ?? Date.now();
    const plan = await this.planOf(workspaceId, nowMs);
    return { decision: await this.hitMany(checks[plan ?? "unknown"], { ...options, nowMs }), plan };
  }

  /** Drops the copy of the workspace's plan: its plan changed, the next call reads it again. */
  async forgetPlan(): Promise<void> {
    this.planCopy = null;
  }

  private async planOf(workspaceId: string, nowMs: number): Promise<Plan | null> {
    const copy = this.planCopy;
    if (copy && copy.workspaceId === workspaceId && copy.expiresAtMs > nowMs) return copy.plan;
    const plan = await freshWorkspacePlan(this.env, workspaceId);
    this.planCopy = { workspaceId, plan, expiresAtMs: nowMs + PLAN_COPY_TTL_MS };
    return plan;
  }

  /**
   * Counts `amount` units that were already used (model tokens of a finished answer) in each of
   * the subject's windows, with no check: the work is done, only later calls can be refused.
   * Returns what the windows say now, with `allowed` false once any of them is used up.
   */
  async spend(subject: string, windows: readonly WindowSpec[], amount: number, options: Pick<HitOptions, "nowMs"> = {}): Promise<RateLimitDecision> {
    if (!Number.isInteger(amount) || amount < 0) throw new RangeError(`invalid amount ${amount}`);
    windows.forEach(assertValidSpec);
    const nowMs = options.nowMs ?? Date.now();
    if (!this.schemaReady) this.migrate();
    const sql = this.ctx.storage.sql;
    const { verdicts, newestExpiryMs } = this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM buckets WHERE expires_ms <= ?", nowMs);
      let newest: number | null = null;
      const after = windows.map((spec) => {
        const key = windowKey(subject, spec);
        if (amount > 0) {
          const fresh = !this.readCounts(key, spec, nowMs).has(bucketIndex(spec, nowMs));
          const expiresMs = this.add(key, spec, nowMs, amount);
          if (fresh) newest = Math.max(newest ?? 0, expiresMs);
        }
        return evaluateWindow(spec, this.readCounts(key, spec, nowMs), nowMs, 1);
      });
      return { verdicts: after, newestExpiryMs: newest };
    });
    if (newestExpiryMs !== null) await this.scheduleCleanup(newestExpiryMs);
    return decisionOf(verdicts, nowMs);
  }

  /** The counts of a window's buckets that still weigh on its estimate. */
  private readCounts(key: string, spec: WindowSpec, nowMs: number): Map<number, number> {
    const rows = this.ctx.storage.sql
      .exec<BucketRow>("SELECT bucket, count FROM buckets WHERE window_key = ? AND bucket >= ?", key, oldestRelevantBucket(spec, nowMs))
      .toArray();
    return new Map(rows.map((r) => [r.bucket, r.count]));
  }

  /** Adds `amount` to the window's current bucket; returns that bucket's expiry. */
  private add(key: string, spec: WindowSpec, nowMs: number, amount: number): number {
    const bucket = bucketIndex(spec, nowMs);
    const expiresMs = bucketExpiresAtMs(spec, bucket);
    this.ctx.storage.sql.exec(
      `INSERT INTO buckets (window_key, bucket, count, expires_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (window_key, bucket) DO UPDATE SET count = count + excluded.count`,
      key,
      bucket,
      amount,
      expiresMs,
    );
    return expiresMs;
  }

  /** Failed-attempt back-off of this subject (sign-in, refresh, invitation links): see `auth-backoff.ts`. */
  async backoff(op: BackoffOp, policy: BackoffPolicy, options: Pick<HitOptions, "nowMs"> = {}): Promise<BackoffDecision> {
    const nowMs = options.nowMs ?? Date.now();
    if (!this.schemaReady) this.migrate();
    const { decision, expiresMs } = this.ctx.storage.transactionSync(() => applyBackoff(this.ctx.storage.sql, op, policy, nowMs));
    if (expiresMs !== null) await this.scheduleCleanup(expiresMs);
    return decision;
  }

  /** Moves the cleanup alarm later when a bucket outlives it; never earlier. */
  private async scheduleCleanup(atMs: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current < atMs) await this.ctx.storage.setAlarm(atMs);
  }

  /** Drops expired buckets; when none is left, deletes the object's storage entirely. */
  override async alarm(): Promise<void> {
    if (!this.schemaReady) return;
    const nowMs = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM buckets WHERE expires_ms <= ?", nowMs);
    const next = sql.exec<{ at: number | null }>("SELECT MAX(expires_ms) AS at FROM buckets").one().at;
    if (next !== null) {
      await this.ctx.storage.setAlarm(next);
      return;
    }
    this.schemaReady = false;
    await this.ctx.storage.deleteAll();
  }
}
