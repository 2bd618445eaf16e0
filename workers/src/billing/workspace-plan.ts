import { eq } from "drizzle-orm";
import type { Db } from "../storage/db";
import { createDb, schema } from "../storage/db";
import type { Plan } from "./plans";

const PLAN_CACHE_TTL_MS = 60_000; // an upgrade takes effect within a minute, without a D1 read per call
const PLAN_CACHE_MAX_ENTRIES = 5_000; // bounds isolate memory; the oldest entries go first

// Per-isolate cache: losing it only costs a D1 read, so it may live outside durable storage.
const cache = new Map<string, { plan: Plan | null; expiresAtMs: number }>();

/** The workspace's plan as D1 has it now, uncached; null when the workspace does not exist. */
export async function readWorkspacePlan(db: Db, workspaceId: string): Promise<Plan | null> {
  const row = await db
    .select({ plan: schema.workspaces.plan })
    .from(schema.workspaces)
    .where(eq(schema.workspaces.id, workspaceId))
    .get();
  return row?.plan ?? null;
}

/** `readWorkspacePlan` for callers holding only the D1 binding. */
export function freshWorkspacePlan(env: Pick<Env, "DB">, workspaceId: string): Promise<Plan | null> {
  return readWorkspacePlan(createDb(env.DB), workspaceId);
}

/** Drops this isolate's copy of the workspace's plan, after a change of plan: the next call reads D1. */
export function forgetWorkspacePlan(workspaceId: string): void {
  cache.delete(workspaceId);
}

/**
 * The workspace's plan for rate limiting, read from D1 at most once a minute per isolate.
 * Null when the workspace does not exist (the caller then applies the smallest quota).
 */
export async function workspacePlan(db: Db, workspaceId: string, nowMs = Date.now()): Promise<Plan | null> {
  const hit = cache.get(workspaceId);
  if (hit && hit.expiresAtMs > nowMs) return hit.plan;

  const plan = await readWorkspacePlan(db, workspaceId);

  cache.delete(workspaceId); // re-insert so Map order stays oldest-first
  cache.set(workspaceId, { plan, expiresAtMs: nowMs + PLAN_CACHE_TTL_MS });
  while (cache.size > PLAN_CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return plan;
}

/** True when plans are sold here (`STRIPE_SECRET_KEY` set), so a workspace's plan decides its limits. */
export function billingOn(env: Pick<Env, "STRIPE_SECRET_KEY">): boolean {
  return Boolean(env.STRIPE_SECRET_KEY?.trim());
}

/**
 * The plan whose limits meter a workspace's model use (socket message caps, token budget). Plans
 * are sold only where billing is on (`STRIPE_SECRET_KEY` set); a deployment without billing has
 * no plan to upgrade to, so, like the billing caps in `billing/limits.ts`, every workspace gets
 * the enterprise row there, which the operator caps with the `*_ENTERPRISE` variables.
 */
export async function meteringPlan(env: Pick<Env, "DB" | "STRIPE_SECRET_KEY">, workspaceId: string): Promise<Plan | null> {
  if (!billingOn(env)) return "enterprise";
  return workspacePlan(createDb(env.DB), workspaceId);
}
