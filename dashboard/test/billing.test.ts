/**
 * The billing page's loader and action: on the test Worker without Stripe (billing off, the
 * friendly state), and on a second Worker with billing on, talking to the fake Stripe API.
 */
import { describe, expect, inject, it } from "vitest";
import * as billing from "../app/routes/_app.billing";
import { can } from "../app/lib/roles";
import { BILLING_VARS } from "../../e2e/platform";
import { apiCall, memberBrowser, signedUpBrowser } from "./harness";
import { checkoutCustomer, deliverStripeEvent, newSubscriptionId, seedInvoices, stripeRequests, subscriptionObject } from "./stripe";

const ORIGIN = "https://shop.example.com";

describe("billing page without Stripe", () => {
  it("shows the plan and this month's usage with billing off, and no invoices, instead of errors", async () => {
    const s = await signedUpBrowser("Unbilled");
    const a = await apiCall("POST", "/assistants", { token: s.token, body: { name: "Helper", allowed_origins: [ORIGIN] } });
    const pk = await apiCall("POST", "/api-keys", { token: s.token, body: { name: "w", type: "publishable", assistant_id: a.body.id } });
    const conv = await apiCall("POST", "/conversations", {
      token: pk.body.key,
      headers: { Origin: ORIGIN },
      body: { assistant_id: a.body.id, visitor_id: "visitor-billing", channel: "web" },
    });
    expect(conv.status).toBeLessThan(300);

    // The conversation reaches the month's analytics a moment later.
    let out = await s.browser.load(billing.loader, "/billing");
    for (let i = 0; i < 60 && out.data.billing.usage.conversations < 1; i++) {
      await new Promise((r) => setTimeout(r, 250));
      out = await s.browser.load(billing.loader, "/billing");
    }
    expect(out.status).toBe(200);
    expect(out.data.billing).toMatchObject({ billing_enabled: false, plan: "starter", subscription_status: "none", upgrade_to: [] });
    expect(out.data.billing.usage).toMatchObject({ conversations: 1, assistants: 1, documents: 0 });
    expect(out.data.billing.usage.period.month).toMatch(/^\d{4}-\d{2}$/);
    expect(out.data.invoices).toEqual([]);
    expect(out.data.invoicesError).toBeNull();
    expect(out.data.returned).toBeNull();
  });

  it("reads where Stripe sent the admin back from", async () => {
    const s = await signedUpBrowser("Returned");
    expect((await s.browser.load(billing.loader, "/billing?checkout=success&session_id=cs_test_1")).data.returned).toBe("checkout_success");
    expect((await s.browser.load(billing.loader, "/billing?checkout=canceled")).data.returned).toBe("checkout_canceled");
    expect((await s.browser.load(billing.loader, "/billing?plan_change=done")).data.returned).toBe("plan_changed");
    // A cursor that is not an invoice id is ignored rather than sent on.
    const odd = await s.browser.load(billing.loader, "/billing?invoices_after=../../x");
    expect(odd.status).toBe(200);
    expect(odd.data.olderInvoices).toBe(false);
  });

  it("answers the upgrade buttons with the API's reason, not a crash", async () => {
    const s = await signedUpBrowser("Unbilled");
    const checkout = await s.browser.submit(billing.action, "/billing", { intent: "checkout", plan: "pro" });
    expect(checkout.status).toBe(403);
    expect(checkout.data).toMatchObject({ ok: false, intent: "checkout", error: { message: expect.stringMatching(/configured on this deployment/) } });
    const portal = await s.browser.submit(billing.action, "/billing", { intent: "portal" });
    expect(portal.status).toBe(403);
    expect(portal.data.error.message).toBe("billing is not configured on this deployment");
    const badPlan = await s.browser.submit(billing.action, "/billing", { intent: "checkout", plan: "starter" });
    expect(badPlan.status).toBe(400);
    expect(badPlan.data.error.fields.plan).toBeTruthy();
    expect((await s.browser.submit(billing.action, "/billing", { intent: "nope" })).status).toBe(400);
  });

  it("refuses forms without the page's CSRF token or from another site", async () => {
    const s = await signedUpBrowser("Forged");
    expect((await s.browser.submit(billing.action, "/billing", { intent: "portal" }, { csrf: false })).status).toBe(403);
    expect((await s.browser.submit(billing.action, "/billing", { intent: "portal" }, { origin: "https://evil.example" })).status).toBe(403);
  });

  it("is for admins only: managers and viewers are refused by the loader and the action, and not offered the page", async () => {
    const s = await signedUpBrowser("Roles");
    for (const role of ["manager", "viewer"] as const) {
      const member = await memberBrowser(s.token, role);
      const page = await member.browser.load(billing.loader, "/billing");
      expect(page.status, role).toBe(403);
      expect(page.data.error.message).toMatch(/admin role/);
      for (const fields of [{ intent: "checkout", plan: "pro" }, { intent: "portal" }] as Record<string, string>[]) {
        const out = await member.browser.submit(billing.action, "/billing", fields);
        expect(out.status, `${role} ${fields.intent}`).toBe(403);
      }
      expect(can(role, "manageBilling")).toBe(false);
    }
    expect(can("admin", "manageBilling")).toBe(true);
  });
});

describe("billing page with Stripe", () => {
  it("subscribes through Checkout, then shows the plan, the invoices and the Billing Portal", async () => {
    const apiUrl = inject("billingApiUrl");
    const s = await signedUpBrowser("Billed", apiUrl);

    const first = await s.browser.load(billing.loader, "/billing");
    expect(first.status).toBe(200);
    expect(first.data.billing).toMatchObject({ billing_enabled: true, plan: "starter", subscription_status: "none", upgrade_to: ["pro", "enterprise"] });
    expect(first.data.billing.limits.conversations_per_month).toBe(500);
    expect(first.data.invoices).toEqual([]);

    // No billing account yet: the portal says so, as the form's error.
    const early = await s.browser.submit(billing.action, "/billing", { intent: "portal" });
    expect(early.status).toBe(409);
    expect(early.data.error.message).toMatch(/no billing account yet/);

    // Upgrading sends the browser to Stripe Checkout, which returns to the billing page.
    const checkout = await s.browser.submit(billing.action, "/billing", { intent: "checkout", plan: "pro" });
    expect(checkout.status).toBe(302);
    expect(checkout.location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const stripeUrl = inject("fakeStripeUrl");
    const session = (await stripeRequests(stripeUrl)).find((r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === s.workspaceId)!;
    expect(session.body.success_url).toMatch(/\/billing\?checkout=success/);
    expect(session.body.cancel_url).toMatch(/\/billing\?checkout=canceled$/);
    const customer = await checkoutCustomer(stripeUrl, s.workspaceId);

    // Stripe confirms the subscription; back on the page the plan is in force.
    const sub = subscriptionObject({ id: newSubscriptionId(), customer, workspaceId: s.workspaceId, price: "price_test_pro", status: "active" });
    await deliverStripeEvent(apiUrl, BILLING_VARS.STRIPE_WEBHOOK_SECRET, "customer.subscription.created", sub);
    const back = await s.browser.load(billing.loader, "/billing?checkout=success&session_id=cs_test_x");
    expect(back.data.returned).toBe("checkout_success");
    expect(back.data.billing).toMatchObject({ plan: "pro", subscribed_plan: "pro", subscription_status: "active", upgrade_to: ["enterprise"] });
    expect(back.data.billing.current_period_end).toBeTruthy();

    // Invoices, newest first, a page at a time.
    await seedInvoices(stripeUrl, customer, 13);
    const listed = await s.browser.load(billing.loader, "/billing");
    expect(listed.data.invoices).toHaveLength(12);
    expect(listed.data.invoices[0]).toMatchObject({ number: "EDG-1000", status: "paid", total: 4900, currency: "usd" });
    expect(listed.data.nextInvoices).toMatch(/^in_/);
    const older = await s.browser.load(billing.loader, `/billing?invoices_after=${listed.data.nextInvoices}`);
    expect(older.data.invoices).toHaveLength(1);
    expect(older.data.olderInvoices).toBe(true);
    expect(older.data.nextInvoices).toBeNull();

    // With a live subscription, upgrading goes through the Billing Portal's plan change.
    const up = await s.browser.submit(billing.action, "/billing", { intent: "checkout", plan: "enterprise" });
    expect(up.status).toBe(302);
    expect(up.location).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    const again = await s.browser.submit(billing.action, "/billing", { intent: "checkout", plan: "pro" });
    expect(again.status).toBe(409);
    expect(again.data.error.message).toMatch(/already on the pro plan/);
    const portal = await s.browser.submit(billing.action, "/billing", { intent: "portal" });
    expect(portal.status).toBe(302);
    expect(portal.location).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
  });

  it("still refuses managers when billing is on", async () => {
    const apiUrl = inject("billingApiUrl");
    const s = await signedUpBrowser("Billed", apiUrl);
    const manager = await memberBrowser(s.token, "manager", apiUrl);
    expect((await manager.browser.load(billing.loader, "/billing")).status).toBe(403);
    const out = await manager.browser.submit(billing.action, "/billing", { intent: "checkout", plan: "pro" });
    expect(out.status).toBe(403);
    const requests = await stripeRequests(inject("fakeStripeUrl"));
    expect(requests.some((r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === s.workspaceId)).toBe(false);
  });
});
