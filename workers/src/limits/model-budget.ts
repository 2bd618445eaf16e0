/**
 * The monthly model-token budget of a workspace: every answer, on every channel, asks for a
 * grant before its model call and pays its tokens afterwards. The counter is a sliding 30-day
 * window (the same shape as the monthly call quota in `call-windows.ts`, and for the same reasons) in
 * the workspace's `RateLimiterDO`, so the check before a model call is one small RPC and the
 * socket admission check (`socket-limits.ts`) reads it in the same call as its rate limits.
 *
 * A call that starts within the budget finishes: its tokens are counted when it is done, so a
 * workspace may end a window a few answers over. Every later call is refused until the window
 * has freed tokens again.
 */
import type { Plan } from "../billing/plans";
import { billingOn, meteringPlan } from "../billing/workspace-plan";
import { ApiError } from "../lib/errors";
import { createLogger } from "../lib/logger";
import { MONTHLY_BUCKET_MS, MONTHLY_WINDOW_MS } from "./call-windows";
import { limitOf } from "./limit-vars";
import type { RateLimitDecision, SubjectWindows } from "./rate-limiter-do";
import type { WindowSpec } from "./sliding-window";
import { checksByPlan, workspaceLimiter } from "./workspace-limiter";

/**
 * Model tokens (prompt + answer) per sliding 30 days, by plan; null means unlimited.
 * Starter: its 500 conversations at about two answers of ~1,000 tokens each. Pro: its 5,000
 * conversations at two answers of ~2,000 tokens (longer prompts on stronger models).
 * Enterprise: no cap unless the deployment sets one, like its other limits.
 */
export const MODEL_TOKEN_BUDGET_BY_PLAN: Readonly<Record<Plan, number | null>> = {
  starter: 1_000_000,
  pro: 20_000_000,
  enterprise: null,
};

/** Name of the budget's window, as reported in `rate_limited` details. */
export const MODEL_BUDGET_WINDOW = "model_tokens";
/** The budget's counters inside the workspace's limiter object. */
const BUDGET_SUBJECT = "model";

/**
 * Variables that override the budgets: a positive integer (tokens per 30 days), or `off` for
 * no budget. Unset, empty or unreadable values keep the defaults above.
 */
export type ModelBudgetVars = Partial<Record<"MODEL_TOKEN_BUDGET_STARTER" | "MODEL_TOKEN_BUDGET_PRO" | "MODEL_TOKEN_BUDGET_ENTERPRISE", string>>;

const VARIABLE_OF: Readonly<Record<Plan, keyof ModelBudgetVars>> = {
  starter: "MODEL_TOKEN_BUDGET_STARTER",
  pro: "MODEL_TOKEN_BUDGET_PRO",
  enterprise: "MODEL_TOKEN_BUDGET_ENTERPRISE",
};

/** Tokens per 30 days a plan may spend after overrides; null when unlimited. An unknown plan gets the smallest. */
export function modelTokenBudget(plan: Plan | null, vars: ModelBudgetVars): number | null {
  const p = plan ?? "starter";
  return limitOf(vars[VARIABLE_OF[p]], MODEL_TOKEN_BUDGET_BY_PLAN[p]);
}

/** The window counting a budget of `limit` tokens per sliding 30 days. */
export function modelBudgetWindow(limit: number): WindowSpec {
  return { name: MODEL_BUDGET_WINDOW, limit, windowMs: MONTHLY_WINDOW_MS, bucketMs: MONTHLY_BUCKET_MS };
}

/** The budget as a check-only entry of a batched limiter call; null when the plan has no budget. */
export function modelBudgetCheck(plan: Plan | null, vars: ModelBudgetVars): SubjectWindows | null {
  const limit = modelTokenBudget(plan, vars);
  return limit === null ? null : { subject: BUDGET_SUBJECT, windows: [modelBudgetWindow(limit)], checkOnly: true };
}

/** Said to whoever asked (a visitor included): no numbers, no plan names. */
export const BUDGET_EXHAUSTED_MESSAGE = "no more answers can be generated for now; please try again later";

/** The refusal of a model call once the workspace's budget is used up: 429 `rate_limited` with Retry-After. */
export class ModelBudgetExceeded extends ApiError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      "rate_limited",
      BUDGET_EXHAUSTED_MESSAGE,
      { window: MODEL_BUDGET_WINDOW, retry_after_seconds: retryAfterSeconds },
      { "Retry-After": String(retryAfterSeconds) },
    );
    this.name = "ModelBudgetExceeded";
  }
}

declare const GRANT: unique symbol;

/**
 * Proof that a workspace's budget had room when a model call was about to start; `generateAnswer`
 * takes one, so no path reaches a model without asking first. Only `checkModelBudget` makes one.
 */
export interface ModelBudgetGrant {
  readonly workspaceId: string;
  /** The workspace's plan as read for the check, so the answer picks models the plan allows. */
  readonly plan: Plan | null;
  /** The window to pay into; null when the plan has no budget (tokens are not counted then). */
  readonly window: WindowSpec | null;
  readonly [GRANT]: true;
}

/** What the budget functions read. */
export type ModelBudgetEnv = Pick<Env, "DB" | "RATE_LIMITER" | "STRIPE_SECRET_KEY"> & ModelBudgetVars;

const logger = createLogger({ component: "limits.model-budget" });

function grant(workspaceId: string, plan: Plan | null, window: WindowSpec | null): ModelBudgetGrant {
  return { workspaceId, plan, window } as ModelBudgetGrant;
}

/**
 * Asks whether the workspace may start a model call: a grant, or `ModelBudgetExceeded`. A limiter
 * that cannot be reached lets the call through (logged), as the rate limiter does: it must not
 * take answering down with it.
 */
export async function checkModelBudget(env: ModelBudgetEnv, workspaceId: string): Promise<ModelBudgetGrant> {
  const checksOf = (plan: Plan | null) => {
    const check = modelBudgetCheck(plan, env);
    return check ? [check] : [];
  };
  const windowOf = (plan: Plan | null) => modelBudgetCheck(plan, env)?.windows[0] ?? null;
  const limiter = workspaceLimiter(env, workspaceId);
  let decision: RateLimitDecision;
  let plan: Plan | null;
  try {
    if (billingOn(env)) {
      // The limiter object keeps a copy of the plan and picks its budget: no D1 read per call.
      ({ decision, plan } = await limiter.hitManyForPlan(workspaceId, checksByPlan(checksOf)));
    } else {
      plan = "enterprise";
      const checks = checksOf(plan);
      if (checks.length === 0) return grant(workspaceId, plan, null);
      decision = await limiter.hitMany(checks);
    }
  } catch (err) {
    logger.warn("model budget unavailable; call not limited", { workspace_id: workspaceId, error: err });
    const known = await meteringPlan(env, workspaceId).catch(() => null);
    return grant(workspaceId, known, windowOf(known));
  }
  if (!decision.allowed) throw new ModelBudgetExceeded(decision.retryAfterSeconds);
  return grant(workspaceId, plan, windowOf(plan));
}

/** Counts the tokens a granted call used; failures are logged, never thrown (the answer is already given). */
export async function spendModelTokens(env: Pick<Env, "RATE_LIMITER">, granted: ModelBudgetGrant, tokens: number): Promise<void> {
  const amount = Math.max(0, Math.ceil(tokens));
  if (!granted.window || amount === 0) return;
  try {
    await workspaceLimiter(env, granted.workspaceId).spend(BUDGET_SUBJECT, [granted.window], amount);
  } catch (err) {
    logger.warn("model tokens not counted", { workspace_id: granted.workspaceId, tokens: amount, error: err });
  }
}
