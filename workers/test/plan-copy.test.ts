import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkModelBudget } from "../src/limits/model-budget";
import { PLAN_COPY_TTL_MS } from "../src/limits/rate-limiter-do";
import { admitSocketMessage, WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN } from "../src/limits/socket-limits";
import { checksByPlan, workspaceLimiter } from "../src/limits/workspace-limiter";
import { call, signUp } from "./helpers";
import { checkoutSessionObject, deliver, TEST_STRIPE_KEY } from "./stripe-events";
import { newSubscriptionId, stripeEvent, subscriptionObject } from "./stripe-fixtures";

// Billing on for this file only (as in billing.test.ts): plans then decide the limits.
beforeAll(() => {
  env.STRIPE_SECRET_KEY = TEST_STRIPE_KEY;
});
afterAll(() => {
  delete env.STRIPE_SECRET_KEY;
});

/** The socket limits with only the per-workspace window left, so the decision reports the plan's number. */
function workspaceWindowOnly() {
  return { ...env, STRIPE_SECRET_KEY: TEST_STRIPE_KEY, RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE: "off", RATE_LIMIT_VISITOR_BURST_PER_MINUTE: "off", MODEL_TOKEN_BUDGET_STARTER: "off", MODEL_TOKEN_BUDGET_PRO: "off" };
}

/** The per-workspace message limit one socket message of `ws` was counted against. */
async function socketLimit(ws: string, n: number): Promise<number> {
  const decision = await admitSocketMessage(workspaceWindowOnly(), ws, { conversationId: `conv_plan_copy_${n}`, visitorSubject: `visitor:plan-copy-${n}` });
  expect(decision).toMatchObject({ allowed: true, window: "workspace" });
  return decision!.limit;
}

async function setPlanInD1(ws: string, plan: string) {
  await env.DB.prepare("update workspaces set plan = ? where id = ?").bind(plan, ws).run();
}

describe("the plan on the message path", () => {
  it("is read from the limiter's copy, not D1, and a Stripe change takes effect on the next message", async () => {
    const s = await signUp("Plan copy");
    const ws = s.workspace.id;
    const checkout = await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan: "pro" } });
    expect(checkout.status).toBe(200);
    const customer = (await env.DB.prepare("select stripe_customer_id from workspaces where id = ?").bind(ws).first<{ stripe_customer_id: string }>())!.stripe_customer_id;

    expect((await checkModelBudget(env, ws)).plan).toBe("starter");
    expect(await socketLimit(ws, 1)).toBe(WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN.starter);

    // A plan written behind the webhook's back is not seen: the messages read no D1 for it.
    await setPlanInD1(ws, "enterprise");
    expect((await checkModelBudget(env, ws)).plan).toBe("starter");
    expect(await socketLimit(ws, 2)).toBe(WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN.starter);
    await setPlanInD1(ws, "starter");

    // Subscribing through Stripe: the very next message is metered as pro.
    const sub = newSubscriptionId();
    let t = Math.floor(Date.now() / 1000);
    const session = stripeEvent("checkout.session.completed", checkoutSessionObject({ workspaceId: ws, customer, subscription: sub, plan: "pro" }), { created: (t += 10) });
    expect((await deliver(session)).body.outcome).toBe("applied");
    const created = stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer, workspaceId: ws, price: "price_test_pro", status: "active" }), { created: (t += 10) });
    expect((await deliver(created)).body.outcome).toBe("applied");
    expect((await checkModelBudget(env, ws)).plan).toBe("pro");
    expect(await socketLimit(ws, 3)).toBe(WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN.pro);

    // Canceled: back to starter on the next message.
    const deleted = stripeEvent("customer.subscription.deleted", subscriptionObject({ id: sub, customer, workspaceId: ws, price: "price_test_pro", status: "canceled" }), { created: (t += 10) });
    expect((await deliver(deleted)).body.outcome).toBe("applied");
    expect((await checkModelBudget(env, ws)).plan).toBe("starter");
    expect(await socketLimit(ws, 4)).toBe(WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN.starter);
  });

  it("follows a change made any other way once the copy is older than its bound", async () => {
    const s = await signUp("Plan copy bound");
    const ws = s.workspace.id;
    const limiter = workspaceLimiter(env, ws);
    const none = checksByPlan(() => []);
    const now = Date.now();
    expect((await limiter.hitManyForPlan(ws, none, { nowMs: now })).plan).toBe("starter");
    await setPlanInD1(ws, "pro");
    expect((await limiter.hitManyForPlan(ws, none, { nowMs: now + PLAN_COPY_TTL_MS - 1 })).plan).toBe("starter");
    expect((await limiter.hitManyForPlan(ws, none, { nowMs: now + PLAN_COPY_TTL_MS + 1 })).plan).toBe("pro");
    // Each workspace's object keeps its own workspace's plan.
    const other = await signUp("Plan copy other");
    expect((await workspaceLimiter(env, other.workspace.id).hitManyForPlan(other.workspace.id, none)).plan).toBe("starter");
  });
});
