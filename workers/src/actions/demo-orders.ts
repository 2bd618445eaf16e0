/**
 * The demo shop's order service: a few seeded orders the demo workspace's `get_order_status`
 * action looks up, so `npm start` shows a procedure and a tool call working offline.
 *
 * It answers only when the deployment sets `DEMO_ORDERS_KEY` (`npm start` writes a random one
 * to `.dev.vars`, never production) and the caller presents it as a bearer token, which only
 * the demo action holds (as a sealed header). Actions reach it in-process at the reserved host
 * `orders.demo.invalid` (a `.invalid` name never resolves, so nothing leaves the Worker and no
 * Worker calls itself over the network); `GET /demo/orders/:number` serves the same for curl.
 */

/** The reserved host the demo action's URL names; answered in-process, never fetched. */
export const DEMO_ORDERS_HOST = "orders.demo.invalid";

/** One demo order. */
interface DemoOrder {
  number: string;
  status: "processing" | "shipped" | "delivered";
  carrier: string | null;
  eta: string | null;
  /** The demo visitor it belongs to (for identity-bound lookups). */
  customer_id: string;
}

const ORDERS: readonly DemoOrder[] = [
  { number: "1042", status: "shipped", carrier: "DHL", eta: "2026-12-09", customer_id: "demo-customer-1" },
  { number: "1043", status: "processing", carrier: null, eta: "2026-12-12", customer_id: "demo-customer-1" },
  { number: "1044", status: "delivered", carrier: "UPS", eta: "2026-12-01", customer_id: "demo-customer-2" },
  { number: "2001", status: "shipped", carrier: "FedEx", eta: "2026-12-10", customer_id: "demo-customer-2" },
];

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** Constant-time comparison of two strings of any length. */
function sameSecret(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i % ea.length] ?? 0) ^ (eb[i % eb.length] ?? 0);
  return diff === 0;
}

/**
 * Answers one request to the demo order service: `GET …/orders/:number` (optionally
 * `?customer_id=` to check ownership) → `{number, status, carrier, eta}`.
 */
export function demoOrdersResponse(env: { DEMO_ORDERS_KEY?: string | undefined }, request: Request): Response {
  const key = env.DEMO_ORDERS_KEY ?? "";
  if (key.length < 16) return json({ error: { code: "not_found", message: "the demo order service is off" } }, 404);
  const presented = (request.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
  if (!sameSecret(presented, key)) return json({ error: { code: "unauthorized", message: "missing or wrong demo key" } }, 401);
  if (request.method !== "GET") return json({ error: { code: "method_not_allowed", message: "GET only" } }, 405);
  const url = new URL(request.url);
  const number = decodeURIComponent(url.pathname.split("/").pop() ?? "").replace(/^#/, "");
  const order = ORDERS.find((o) => o.number === number);
  const customer = url.searchParams.get("customer_id");
  if (!order || (customer !== null && customer !== order.customer_id)) {
    return json({ error: { code: "not_found", message: `no order ${number.slice(0, 40)}` } }, 404);
  }
  return json({ number: order.number, status: order.status, carrier: order.carrier, eta: order.eta }, 200);
}

/** A `fetch` for the demo host, answered in-process. */
export function demoOrdersFetch(env: { DEMO_ORDERS_KEY?: string | undefined }): typeof fetch {
  return async (input, init) => demoOrdersResponse(env, new Request(input, init));
}
