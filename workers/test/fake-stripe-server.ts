import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { listenLocally, readBody, type RunningFake } from "./fake-http";

/**
 * A local stand-in for the Stripe API, speaking its wire format: form-encoded requests with
 * bracketed keys, JSON objects shaped like Stripe's (Customer, Checkout Session, Billing Portal
 * Session, Invoice list, Subscription), Stripe's error body, and Bearer authentication. The
 * official `stripe` SDK talks to it unmodified through `STRIPE_API_BASE`.
 *
 * Test controls (not Stripe's):
 *   POST /_test/invoices   JSON `{customer, invoices: [partial Invoice…]}` adds invoices
 *   GET  /_test/requests   every request so far (method, path, form body, Stripe headers)
 */

/** One request as the fake saw it. */
export interface RecordedStripeRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  stripe_version: string | null;
  idempotency_key: string | null;
}

/** A running fake. */
export type FakeStripeServer = RunningFake;

type Json = Record<string, unknown>;

/** Ids shaped like Stripe's: `cus_…`, `in_…`; Checkout Sessions of test mode are `cs_test_…`. */
const id = (prefix: string) => `${prefix}_${prefix === "cs" ? "test_" : ""}${randomBytes(12).toString("hex")}`;
const now = () => Math.floor(Date.now() / 1000);

/** Parses Stripe's form encoding (`a[b][0][c]=v`) into nested objects and arrays. */
export function parseStripeForm(text: string): Json {
  const root: Json = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const keys = rawKey.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> | unknown[] = root;
    keys.forEach((k, i) => {
      const last = i === keys.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]!);
      const slot = node as Record<string, unknown>;
      if (last) slot[k] = value;
      else {
        slot[k] ??= nextIsIndex ? [] : {};
        node = slot[k] as Record<string, unknown>;
      }
    });
  }
  return root;
}

function stripeError(res: ServerResponse, status: number, message: string, extra: Json = {}): void {
  res.writeHead(status, { "content-type": "application/json", "request-id": id("req") });
  res.end(JSON.stringify({ error: { type: "invalid_request_error", message, ...extra } }));
}

function send(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json", "request-id": id("req") });
  res.end(JSON.stringify(body));
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeStripe(): Promise<FakeStripeServer> {
  const customers = new Map<string, Json>();
  const invoices = new Map<string, Json[]>(); // by customer, newest first
  const canceled = new Set<string>();
  const requests: RecordedStripeRequest[] = [];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const text = (await readBody(req)).toString("utf8");
    if (url.pathname === "/_test/requests") return send(res, requests);
    if (url.pathname === "/_test/invoices" && req.method === "POST") {
      const { customer, invoices: list } = JSON.parse(text) as { customer: string; invoices: Json[] };
      const full = list.map((inv, i) => ({
        id: id("in"),
        object: "invoice",
        customer,
        number: `EDG-${1000 + i}`,
        status: "paid",
        currency: "usd",
        amount_due: 4900,
        amount_paid: 4900,
        total: 4900,
        created: now() - i * 86_400 * 30,
        period_start: now() - (i + 1) * 86_400 * 30,
        period_end: now() - i * 86_400 * 30,
        hosted_invoice_url: `https://invoice.stripe.com/i/test_${i}`,
        invoice_pdf: `https://pay.stripe.com/invoice/test_${i}/pdf`,
        livemode: false,
        ...inv,
      }));
      invoices.set(customer, [...full, ...(invoices.get(customer) ?? [])]);
      return send(res, { ok: true, ids: full.map((f) => f.id) });
    }

    const body = req.method === "GET" || req.method === "DELETE" ? Object.fromEntries(url.searchParams) : parseStripeForm(text);
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      body,
      stripe_version: (req.headers["stripe-version"] as string | undefined) ?? null,
      idempotency_key: (req.headers["idempotency-key"] as string | undefined) ?? null,
    });
    if (!/^Bearer sk_(test|live)_\w+$/.test(req.headers.authorization ?? "")) {
      return stripeError(res, 401, "Invalid API Key provided.");
    }

    if (req.method === "POST" && url.pathname === "/v1/customers") {
      const customer = {
        id: id("cus"),
        object: "customer",
        created: now(),
        email: body.email ?? null,
        name: body.name ?? null,
        metadata: body.metadata ?? {},
        livemode: false,
        invoice_settings: { default_payment_method: null },
      };
      customers.set(customer.id, customer);
      return send(res, customer);
    }
    if (req.method === "POST" && url.pathname === "/v1/checkout/sessions") {
      if (!customers.has(String(body.customer))) return stripeError(res, 400, `No such customer: '${String(body.customer)}'`, { code: "resource_missing", param: "customer" });
      const sessionId = id("cs");
      return send(res, {
        id: sessionId,
        object: "checkout.session",
        mode: body.mode,
        customer: body.customer,
        client_reference_id: body.client_reference_id ?? null,
        metadata: body.metadata ?? {},
        status: "open",
        payment_status: "unpaid",
        subscription: null,
        success_url: body.success_url,
        cancel_url: body.cancel_url,
        url: `https://checkout.stripe.com/c/pay/${sessionId}`,
        created: now(),
        expires_at: now() + 86_400,
        livemode: false,
      });
    }
    if (req.method === "POST" && url.pathname === "/v1/billing_portal/sessions") {
      if (!customers.has(String(body.customer))) return stripeError(res, 400, `No such customer: '${String(body.customer)}'`, { code: "resource_missing", param: "customer" });
      const sessionId = id("bps");
      return send(res, {
        id: sessionId,
        object: "billing_portal.session",
        customer: body.customer,
        return_url: body.return_url ?? null,
        flow: body.flow_data ?? null,
        url: `https://billing.stripe.com/p/session/${sessionId}`,
        created: now(),
        livemode: false,
      });
    }
    if (req.method === "GET" && url.pathname === "/v1/invoices") {
      const all = invoices.get(String(body.customer)) ?? [];
      const start = body.starting_after ? all.findIndex((i) => i.id === body.starting_after) + 1 : 0;
      const limit = Number(body.limit ?? 10);
      const data = all.slice(start, start + limit);
      return send(res, { object: "list", url: "/v1/invoices", has_more: start + limit < all.length, data });
    }
    const sub = url.pathname.match(/^\/v1\/subscriptions\/(sub_\w+)$/);
    if (sub && req.method === "DELETE") {
      if (canceled.has(sub[1]!)) return stripeError(res, 404, `No such subscription: '${sub[1]}'`, { code: "resource_missing" });
      canceled.add(sub[1]!);
      return send(res, { id: sub[1], object: "subscription", status: "canceled", canceled_at: now(), ended_at: now(), livemode: false });
    }
    return stripeError(res, 404, `Unrecognized request URL (${req.method}: ${url.pathname}).`);
  });

  return listenLocally(server);
}
