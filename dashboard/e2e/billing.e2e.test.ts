/**
 * The billing page with billing on: the run's Worker with a Stripe key talking to the fake
 * Stripe API, and the dashboard in front of it (both from e2e/platform.ts). Upgrading leaves
 * for Stripe's page and comes back to a confirmation; the plans, the usage and the invoices pass
 * axe like every other page.
 */
import { analyzeAccessibility } from "../../e2e/axe";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BILLING_VARS } from "../../e2e/platform";
import { checkoutCustomer, deliverStripeEvent, newSubscriptionId, seedInvoices, subscriptionObject } from "../test/stripe";
import { launchChromium, PASSWORD, uniqueEmail } from "./support";

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

async function violations(page: Page) {
  const result = await analyzeAccessibility(page, WCAG_TAGS);
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}

describe("billing with Stripe", () => {
  const stripeUrl = inject("fakeStripeUrl");
  const apiUrl = inject("billingApiUrl");
  const dashboardUrl = inject("billingDashboardUrl");
  let browser: Browser;
  let page: Page;
  let workspaceId: string;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    const email = uniqueEmail("billing");
    await page.goto(`${dashboardUrl}/signup`);
    await page.getByLabel("Workspace name").fill("Paying Co");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL("**/overview");
    const login = await fetch(`${apiUrl}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    workspaceId = ((await login.json()) as { workspace: { id: string } }).workspace.id;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("offers the upgrade to an admin, sends them to Stripe Checkout and confirms on their return", async () => {
    await page.getByRole("navigation", { name: "Main", exact: true }).getByRole("link", { name: "Billing" }).click();
    await page.waitForURL("**/billing");
    await page.getByRole("heading", { name: "Plans" }).waitFor();
    expect(await page.locator('[data-billing="plan"] dd').innerText()).toBe("Starter");
    expect(await page.getByTestId("billing-off").count()).toBe(0);
    expect(await violations(page), "/billing on starter").toEqual([]);

    // Stripe's page is out of reach here: stand in for it.
    await page.route("https://checkout.stripe.com/**", (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>Stripe Checkout</title><h1>Pay</h1>" }),
    );
    await page.getByRole("button", { name: "Upgrade to Pro" }).click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    // Stripe confirms the subscription and sends the admin back.
    const customer = await checkoutCustomer(stripeUrl, workspaceId);
    const sub = subscriptionObject({ id: newSubscriptionId(), customer, workspaceId, price: "price_test_pro", status: "active" });
    await deliverStripeEvent(apiUrl, BILLING_VARS.STRIPE_WEBHOOK_SECRET, "customer.subscription.created", sub);
    await seedInvoices(stripeUrl, customer, 3);
    await page.goto(`${dashboardUrl}/billing?checkout=success&session_id=cs_test_back`);
    await page.getByRole("status").filter({ hasText: "Thank you, your payment went through." }).waitFor();
    expect(await page.locator('[data-billing="plan"] dd').innerText()).toBe("Pro");
    expect(await page.locator('[data-billing="status"] dd').innerText()).toMatch(/active/i);
    expect(await page.locator("tr[data-invoice]").count()).toBe(3);
    expect(await page.getByRole("button", { name: "Upgrade to Enterprise" }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Manage payment method and subscription" }).count()).toBe(1);
    expect(await violations(page), "/billing on pro, with invoices").toEqual([]);
  });

  it("fits a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${dashboardUrl}/billing`);
    await page.getByRole("heading", { name: "Invoices" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    expect(await violations(page), "/billing on a phone").toEqual([]);
  });
});
