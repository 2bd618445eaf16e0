import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAN_LIMITS } from "../src/billing/plans";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";
import { checkoutSessionObject, deliver, invoiceObject, seedInvoices, signatureFor, stripeRequests, TEST_STRIPE_KEY } from "./stripe-events";
import { newSubscriptionId, stripeEvent, subscriptionObject } from "./stripe-fixtures";

const PRO = "price_test_pro";
const ENTERPRISE = "price_test_enterprise";

// Billing is switched on for this file only, as on a deployment with a Stripe key: other
// suites create assistants freely and must not meet the starter plan's caps.
beforeAll(() => {
  env.STRIPE_SECRET_KEY = TEST_STRIPE_KEY;
});
afterAll(() => {
  delete env.STRIPE_SECRET_KEY;
});

async function workspaceRow(id: string) {
  return env.DB.prepare("select plan, stripe_customer_id from workspaces where id = ?").bind(id).first<{ plan: string; stripe_customer_id: string | null }>();
}

async function billing(token: string) {
  const res = await call("GET", "/api/v1/billing", { token });
  expect(res.status).toBe(200);
  return res.body;
}

/** A workspace that went through Checkout: it has a Stripe customer. */
async function subscribedWorkspace(name: string) {
  const s = await signUp(name);
  const checkout = await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan: "pro" } });
  expect(checkout.status).toBe(200);
  const customer = (await workspaceRow(s.workspace.id))!.stripe_customer_id!;
  return { ...s, customer, token: s.access_token, ws: s.workspace.id };
}

describe("billing page", () => {
  it("shows the plan, this month's usage, the limits and the upgrade path", async () => {
    const s = await signUp("BillingPage");
    const key = await createSecretKey(s.access_token, "manager");
    await createAssistant(s.access_token);
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
    // Tokens and cost come from the analytics events of this month.
    await env.DB.prepare(
      "insert into analytics_events (id, workspace_id, type, tokens, cost_usd, created_at) values (?, ?, 'message.answered', 120, 0.0015, ?)",
    )
      .bind(`evt_billing${Date.now()}`, s.workspace.id, new Date().toISOString())
      .run();

    const body = await billing(s.access_token);
    expect(body).toMatchObject({
      plan: "starter",
      subscribed_plan: "starter",
      subscription_status: "none",
      billing_enabled: true,
      limits: PLAN_LIMITS.starter,
      usage: { assistants: 1, documents: 0, tokens: 120, estimated_cost_usd: 0.0015 },
      upgrade_to: ["pro", "enterprise"],
    });
    expect(body.usage.period.month).toBe(new Date().toISOString().slice(0, 7));
    // Metered after the response: give the last write a moment.
    await expect.poll(async () => (await billing(s.access_token)).usage.api_calls, { timeout: 3_000 }).toBeGreaterThanOrEqual(3);
    expect(body.plans.map((p: { plan: string }) => p.plan)).toEqual(["starter", "pro", "enterprise"]);
  });

  it("is for admins only", async () => {
    const s = await signUp("BillingRoles");
    const viewer = await createSecretKey(s.access_token, "viewer");
    const manager = await createSecretKey(s.access_token, "manager");
    for (const token of [viewer.key, manager.key]) {
      for (const [method, path] of [
        ["GET", "/api/v1/billing"],
        ["POST", "/api/v1/billing/checkout"],
        ["POST", "/api/v1/billing/portal"],
        ["GET", "/api/v1/billing/invoices"],
      ] as const) {
        const res = await call(method, path, { token, body: method === "POST" ? { plan: "pro" } : undefined });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
    }
  });
});

describe("checkout, portal and invoices", () => {
  it("creates the Stripe customer once and a subscription Checkout Session for the plan's price", async () => {
    const s = await signUp("Checkout");
    const res = await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan: "pro" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/), kind: "checkout" });
    const again = await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan: "enterprise" } });
    expect(again.status).toBe(200);

    const customer = (await workspaceRow(s.workspace.id))!.stripe_customer_id;
    expect(customer).toMatch(/^cus_[0-9a-f]+$/);
    const sent = await stripeRequests();
    const customers = sent.filter((r) => r.path === "/v1/customers" && (r.body.metadata as Record<string, string>)?.workspace_id === s.workspace.id);
    expect(customers).toHaveLength(1);
    expect(customers[0]!.idempotency_key).toContain(s.workspace.id);
    const sessions = sent.filter((r) => r.path === "/v1/checkout/sessions" && r.body.customer === customer);
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.body).toMatchObject({
      mode: "subscription",
      client_reference_id: s.workspace.id,
      line_items: [{ price: PRO, quantity: "1" }],
      metadata: { workspace_id: s.workspace.id, plan: "pro" },
      subscription_data: { metadata: { workspace_id: s.workspace.id, plan: "pro" } },
      success_url: expect.stringContaining("/billing?checkout=success"),
    });
    expect(sessions[1]!.body).toMatchObject({ line_items: [{ price: ENTERPRISE }] });
  });

  it("refuses unknown plans and starter", async () => {
    const s = await signUp("CheckoutBad");
    for (const plan of ["starter", "platinum", 3, null]) {
      const res = await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan } });
      expect(res.status).toBe(400);
    }
  });

  it("opens the Billing Portal once the workspace has a customer", async () => {
    const s = await signUp("Portal");
    const before = await call("POST", "/api/v1/billing/portal", { token: s.access_token });
    expect(before.status).toBe(409);
    expect(before.body.error.code).toBe("conflict");
    await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan: "pro" } });
    const res = await call("POST", "/api/v1/billing/portal", { token: s.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\/p\/session\//), kind: "portal" });
  });

  it("lists the workspace's invoices from Stripe, page by page", async () => {
    const w = await subscribedWorkspace("Invoices");
    const empty = await call("GET", "/api/v1/billing/invoices", { token: w.token });
    expect(empty.body).toEqual({ data: [], next_cursor: null });
    const ids = await seedInvoices(w.customer, [{ amount_paid: 4900 }, { amount_paid: 4900 }, { status: "open", amount_paid: 0 }]);
    const first = await call("GET", "/api/v1/billing/invoices?limit=2", { token: w.token });
    expect(first.status).toBe(200);
    expect(first.body.data.map((i: { id: string }) => i.id)).toEqual(ids.slice(0, 2));
    expect(first.body.data[0]).toMatchObject({ status: "paid", currency: "usd", amount_paid: 4900, hosted_invoice_url: expect.stringContaining("https://") });
    expect(first.body.next_cursor).toBe(ids[1]);
    const second = await call("GET", `/api/v1/billing/invoices?limit=2&cursor=${first.body.next_cursor}`, { token: w.token });
    expect(second.body).toMatchObject({ data: [{ id: ids[2], status: "open" }], next_cursor: null });
    expect((await call("GET", "/api/v1/billing/invoices?cursor=not-an-invoice", { token: w.token })).status).toBe(400);
  });
});

describe("POST /webhooks/stripe", () => {
  async function pending() {
    const w = await subscribedWorkspace("Hooks");
    const sub = newSubscriptionId();
    const event = stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer: w.customer, workspaceId: w.ws, price: PRO, status: "active" }));
    return { ...w, sub, event };
  }

  it("applies a correctly signed event", async () => {
    const { ws, event } = await pending();
    const res = await deliver(event);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: "applied" });
    expect((await workspaceRow(ws))!.plan).toBe("pro");
  });

  it("refuses unsigned, forged, tampered and stale deliveries with 401 and changes nothing", async () => {
    const { ws, event } = await pending();
    const payload = JSON.stringify(event);
    const cases = [
      { name: "unsigned", opts: { signature: null } },
      { name: "garbage header", opts: { signature: "definitely-not-a-signature" } },
      { name: "forged (other secret)", opts: { secret: "whsec_attacker_secret" } },
      { name: "v0 scheme only", opts: { signature: signatureFor(payload).replace("v1=", "v0=") } },
      { name: "stale (301 s old)", opts: { timestamp: Math.floor(Date.now() / 1000) - 301 } },
      {
        name: "tampered body",
        opts: { signature: signatureFor(payload), rawBody: payload.replace('"status":"active"', '"status":"canceled"') },
      },
    ];
    for (const c of cases) {
      const res = await deliver(event, c.opts);
      expect(res.status, c.name).toBe(401);
      expect(res.body.error.code, c.name).toBe("unauthorized");
    }
    expect((await workspaceRow(ws))!.plan).toBe("starter");
    const processed = await env.DB.prepare("select count(*) as n from processed_events where event_id = ?").bind(event.id).first<{ n: number }>();
    expect(processed!.n).toBe(0);
    // Within the 300-second tolerance it is accepted.
    expect((await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 290 })).status).toBe(200);
  });

  it("processes a replayed event id once", async () => {
    const { ws, customer, sub, event } = await pending();
    expect((await deliver(event)).body.outcome).toBe("applied");
    // The same event again, freshly signed (Stripe's retry), and a copy carrying other data.
    expect((await deliver(event)).body).toEqual({ received: true, outcome: "duplicate" });
    const replay = { ...event, data: { object: subscriptionObject({ id: sub, customer, workspaceId: ws, price: ENTERPRISE, status: "active" }) } };
    expect((await deliver(replay)).body.outcome).toBe("duplicate");
    expect((await workspaceRow(ws))!.plan).toBe("pro");
    const processed = await env.DB.prepare("select count(*) as n from processed_events where source = 'stripe' and event_id = ?").bind(event.id).first<{ n: number }>();
    expect(processed!.n).toBe(1);
  });

  it("never lets an older event overwrite a newer state", async () => {
    const { ws, customer, sub, token } = await pending();
    const t = Math.floor(Date.now() / 1000);
    const newer = stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, workspaceId: ws, price: ENTERPRISE, status: "active" }), { created: t });
    const older = stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer, workspaceId: ws, price: PRO, status: "incomplete" }), { created: t - 60 });
    expect((await deliver(newer)).body.outcome).toBe("applied");
    expect((await deliver(older)).body.outcome).toBe("stale");
    expect((await workspaceRow(ws))!.plan).toBe("enterprise");
    expect((await billing(token)).subscribed_plan).toBe("enterprise");
  });

  it("answers 400 for a signed body that is not JSON and 413 for an oversized one", async () => {
    const raw = '{"id": "evt_x", "object": "event",';
    expect((await deliver(null, { rawBody: raw, signature: signatureFor(raw) })).status).toBe(400);
    const huge = JSON.stringify({ id: "evt_big", pad: "x".repeat(1_100_000) });
    expect((await deliver(null, { rawBody: huge })).status).toBe(413);
  });

  it("acknowledges events it does not handle, and events of unknown workspaces, without changes", async () => {
    expect((await deliver(stripeEvent("charge.succeeded", { id: "ch_1", object: "charge" }))).body).toEqual({ received: true, outcome: "ignored" });
    const orphan = stripeEvent(
      "customer.subscription.updated",
      subscriptionObject({ id: newSubscriptionId(), customer: "cus_test_nobody", workspaceId: "ws_doesnotexist00000000", price: PRO, status: "active" }),
    );
    expect((await deliver(orphan)).body).toEqual({ received: true, outcome: "ignored" });
  });
});

describe("a subscription's life cycle drives the limits", () => {
  it("subscribe → upgrade → payment failed → recovered → canceled", async () => {
    const w = await subscribedWorkspace("Lifecycle");
    const key = await createSecretKey(w.token, "admin");
    const sub = newSubscriptionId();
    let t = Math.floor(Date.now() / 1000);
    const subEvent = (type: string, price: string, status: string) =>
      stripeEvent(type, subscriptionObject({ id: sub, customer: w.customer, workspaceId: w.ws, price, status }), { created: (t += 10) });
    const addAssistant = () => call("POST", "/api/v1/assistants", { token: w.token, body: { name: "Extra" } });

    // Starter: one assistant, then 402 with the way up.
    const first = await createAssistant(w.token);
    const capped = await addAssistant();
    expect(capped.status).toBe(402);
    expect(capped.body.error).toMatchObject({
      code: "payment_required",
      details: { reason: "plan_limit", limit: "assistants", plan: "starter", max: 1, used: 1, upgrade_to: "pro" },
    });
    expect(capped.body.error.message).toContain("upgrade to pro");

    // Starter: the 501st conversation of the month is a 429 with Retry-After until the 1st.
    const month = new Date().toISOString().slice(0, 7);
    await env.DB.prepare("insert into usage_counters (workspace_id, period, conversations) values (?, ?, 500)").bind(w.ws, month).run();
    const over = await call("POST", "/api/v1/conversations", { token: key.key, body: { assistant_id: first.id, visitor_id: "v1", channel: "api" } });
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: "rate_limited", details: { reason: "plan_limit", limit: "conversations_per_month", max: 500, used: 500 } });
    const retryAfter = Number(over.headers.get("retry-after"));
    const nextMonth = Date.parse(over.body.error.details.resets_at);
    expect(Math.abs(Date.now() + retryAfter * 1000 - nextMonth)).toBeLessThan(5_000);
    // The widget is told politely, without the workspace's plan or counts.
    const widget = await call("POST", "/api/v1/api-keys", { token: w.token, body: { name: "w", type: "publishable", assistant_id: first.id, allowed_origins: ["https://shop.example"] } });
    const polite = await call("POST", "/api/v1/conversations", {
      token: widget.body.key,
      headers: { origin: "https://shop.example" },
      body: { assistant_id: first.id, visitor_id: "v2" },
    });
    expect(polite.status).toBe(429);
    expect(polite.body.error.message).toMatch(/^Sorry, we can't start a new chat right now/);
    expect(JSON.stringify(polite.body)).not.toContain("starter");

    // Subscribe to pro: Checkout completes, the subscription is created.
    const session = stripeEvent("checkout.session.completed", checkoutSessionObject({ workspaceId: w.ws, customer: w.customer, subscription: sub, plan: "pro" }), { created: (t += 10) });
    expect((await deliver(session)).body.outcome).toBe("applied");
    expect((await deliver(subEvent("customer.subscription.created", PRO, "active"))).body.outcome).toBe("applied");
    expect((await workspaceRow(w.ws))!.plan).toBe("pro");
    expect(await billing(w.token)).toMatchObject({ plan: "pro", subscribed_plan: "pro", subscription_status: "active", limits: PLAN_LIMITS.pro, upgrade_to: ["enterprise"] });
    expect((await addAssistant()).status).toBe(201);
    const started = await call("POST", "/api/v1/conversations", { token: key.key, body: { assistant_id: first.id, visitor_id: "v1", channel: "api" } });
    expect(started.status).toBe(201);

    // Upgrading with a live subscription goes through the Billing Portal's plan-change flow.
    const upgrade = await call("POST", "/api/v1/billing/checkout", { token: w.token, body: { plan: "enterprise" } });
    expect(upgrade.body.kind).toBe("portal");
    const portalCall = (await stripeRequests()).filter((r) => r.path === "/v1/billing_portal/sessions" && r.body.customer === w.customer).at(-1)!;
    expect(portalCall.body).toMatchObject({
      flow_data: { type: "subscription_update_confirm", subscription_update_confirm: { subscription: sub, items: [{ price: ENTERPRISE }] } },
    });
    expect((await call("POST", "/api/v1/billing/checkout", { token: w.token, body: { plan: "pro" } })).status).toBe(409);
    expect((await deliver(subEvent("customer.subscription.updated", ENTERPRISE, "active"))).body.outcome).toBe("applied");
    expect(await billing(w.token)).toMatchObject({ plan: "enterprise", limits: PLAN_LIMITS.enterprise, upgrade_to: [] });
    for (let i = 0; i < 5; i++) expect((await addAssistant()).status).toBe(201); // 7 assistants: beyond pro's 5

    // Payment fails: the paid plan is held back, starter limits apply, and going past them is a 402.
    const failed = stripeEvent("invoice.payment_failed", invoiceObject({ customer: w.customer, subscription: sub, workspaceId: w.ws, paid: false }), { created: (t += 10) });
    expect((await deliver(failed)).body.outcome).toBe("applied");
    expect((await deliver(subEvent("customer.subscription.updated", ENTERPRISE, "past_due"))).body.outcome).toBe("applied");
    expect((await workspaceRow(w.ws))!.plan).toBe("starter"); // the rate limiter's quotas follow
    expect(await billing(w.token)).toMatchObject({ plan: "starter", subscribed_plan: "enterprise", subscription_status: "past_due" });
    const held = await addAssistant();
    expect(held.status).toBe(402);
    expect(held.body.error).toMatchObject({ code: "payment_required", details: { reason: "subscription_not_paid", subscription_status: "past_due" } });
    expect(held.body.error.message).toContain("past due");
    const heldConversation = await call("POST", "/api/v1/conversations", { token: key.key, body: { assistant_id: first.id, visitor_id: "v3", channel: "api" } });
    expect(heldConversation.status).toBe(402);

    // The retry succeeds: back to enterprise.
    const paid = stripeEvent("invoice.paid", invoiceObject({ customer: w.customer, subscription: sub, workspaceId: w.ws, paid: true }), { created: (t += 10) });
    expect((await deliver(paid)).body.outcome).toBe("applied");
    expect(await billing(w.token)).toMatchObject({ plan: "enterprise", subscription_status: "active" });
    expect((await addAssistant()).status).toBe(201);

    // Canceled: starter again; what enterprise allowed is a 402 that says the subscription ended.
    expect((await deliver(subEvent("customer.subscription.deleted", ENTERPRISE, "canceled"))).body.outcome).toBe("applied");
    expect((await workspaceRow(w.ws))!.plan).toBe("starter");
    expect(await billing(w.token)).toMatchObject({ plan: "starter", subscription_status: "canceled", upgrade_to: ["pro", "enterprise"] });
    const canceled = await addAssistant();
    expect(canceled.status).toBe(402);
    expect(canceled.body.error.message).toContain("was canceled");
    // A new Checkout is possible again (no live subscription).
    expect((await call("POST", "/api/v1/billing/checkout", { token: w.token, body: { plan: "pro" } })).body.kind).toBe("checkout");
  });

  it("caps documents at the plan's limit", async () => {
    const s = await signUp("DocCap");
    const assistant = await createAssistant(s.access_token);
    const stmts = Array.from({ length: PLAN_LIMITS.starter.documents! }, (_, i) =>
      env.DB.prepare("insert into kb_documents (id, workspace_id, assistant_id, title, source_type, status) values (?, ?, ?, ?, 'manual', 'ready')").bind(
        `doc_cap${i}x${Date.now()}`,
        s.workspace.id,
        assistant.id,
        `Doc ${i}`,
      ),
    );
    await env.DB.batch(stmts);
    const res = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token: s.access_token, body: { title: "One more", content: "text" } });
    expect(res.status).toBe(402);
    expect(res.body.error.details).toMatchObject({ reason: "plan_limit", limit: "documents", max: 50, used: 50 });
    // A new version of an existing document is not a new document.
    const update = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token: s.access_token, body: { title: "Doc 3", content: "new text" } });
    expect(update.status).toBe(202);
  });
});

describe("without billing", () => {
  it("a deployment without a Stripe key caps nothing and sells nothing", async () => {
    delete env.STRIPE_SECRET_KEY;
    try {
      const s = await signUp("NoBilling");
      await createAssistant(s.access_token);
      expect((await call("POST", "/api/v1/assistants", { token: s.access_token, body: { name: "Second" } })).status).toBe(201);
      expect(await billing(s.access_token)).toMatchObject({ billing_enabled: false, upgrade_to: [] });
      const res = await call("POST", "/api/v1/billing/checkout", { token: s.access_token, body: { plan: "pro" } });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain("not configured");
    } finally {
      env.STRIPE_SECRET_KEY = TEST_STRIPE_KEY;
    }
  });
});
