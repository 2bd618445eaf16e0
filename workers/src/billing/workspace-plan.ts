import { eq } from "drizzle-orm";
import type { Db } from "../storage/db";
import { createDb, schema } from "../storage/db";
import type { Plan } from "./plans";

const PLAN_CACHE_TTL_MS = 60_000; // an upgrade takes effect within a minute, without a D1 read per call
const PLAN_CACHE_MAX_ENTRIES = 5_000; // bounds isolate memory; the oldest entries go first

// Per-isolate cache: losing it only costs a D1 read, so it may live outside durable storage.
const cache = new Map<string, { plan: Plan | null; expiresAtMs: number }>();

/**
 * The workspace's plan for rate limiting, read from D1 at most once a minute per isolate.
 * Null when the workspace does not exist (the caller then applies the smallest quota).
 */
export async function workspacePlan(db: Db, workspaceId: string, nowMs = Date.now()): Promise<Plan | null> {
  const hit = cache.get(workspaceId);
  if (hit && hit.expiresAtMs > nowMs) return hit.plan;

  const row = await db
    .select({ plan: schema.workspaces.plan })
    .from(schema.workspaces)
    .where(eq(schema.workspaces.id, workspaceId))
    .get();
  const plan = row?.plan ?? null;

  cache.delete(workspaceId); // re-insert so Map order stays oldest-first
  cache.set(workspaceId, { plan, expiresAtMs: nowMs + PLAN_CACHE_TTL_MS });
  while (cache.size > PLAN_CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return plan;
}

/**
 * The plan whose limits meter a workspace's model use (socket message caps, token budget). Plans
 * are sold only where billing is on (`STRIPE_SECRET_KEY` set); a deployment without billing has
 * no plan to upgrade to, so, like the billing caps in `billing/limits.ts`, every workspace gets
 * the enterprise row there, which the operator caps with the `*_ENTERPRISE` variables.
 */
export async function meteringPlan(env: Pick<Env, "DB" | "STRIPE_SECRET_KEY">, workspaceId: string): Promise<Plan | null> {
  if (!env.STRIPE_SECRET_KEY?.trim()) return "enterprise";
  return workspacePlan(createDb(env.DB), workspaceId);
}
