import { createRoute, z } from "@hono/zod-openapi";
import { handleStripeEvent, verifyStripeEvent } from "../../billing/webhook-events";
import { readLimited } from "../../lib/read-limited";
import { workspacePlanChanged } from "../../limits/workspace-limiter";
import { ApiError } from "../../lib/errors";
import { errorResponses, json, router } from "../openapi";

/** Largest event accepted; Stripe's events are a few kilobytes, this leaves room for big invoices. */
export const MAX_STRIPE_EVENT_BYTES = 1_048_576; // 1 MiB

/** The raw body (signatures are over the exact bytes), refused with 413 past `limit`. */
async function readRawBody(request: Request, limit: number): Promise<string> {
  const tooLarge = () => new ApiError("payload_too_large", `request body exceeds ${limit} bytes`, { limit_bytes: limit });
  if (Number(request.headers.get("content-length") ?? "0") > limit) throw tooLarge();
  const bytes = await readLimited(request.body, limit, tooLarge);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_request", "request body is not valid UTF-8");
  }
}

/**
 * `POST /webhooks/stripe`: Stripe's events about subscriptions and invoices. Unsigned, forged or
 * stale (over 300 seconds) deliveries get 401; a repeated event id is acknowledged and skipped.
 */
export const stripeWebhookRoutes = router().openapi(
  createRoute({
    method: "post",
    path: "/stripe",
    tags: ["webhooks"],
    summary: "Stripe events (signed with Stripe-Signature)",
    request: {
      headers: z.object({ "stripe-signature": z.string().optional().openapi({ description: "t=…,v1=…" }) }),
    },
    responses: {
      200: json(z.object({ received: z.literal(true), outcome: z.string() }), "handled, ignored or already handled"),
      ...errorResponses(400, 401, 413),
    },
  }),
  async (c) => {
    const payload = await readRawBody(c.req.raw, MAX_STRIPE_EVENT_BYTES);
    const event = await verifyStripeEvent(c.env, payload, c.req.header("stripe-signature"));
    const result = await handleStripeEvent(c.env, event);
    // The plan may have changed: the copies kept for the message path are dropped at once.
    if (result.outcome === "applied" && result.workspace_id) await workspacePlanChanged(c.env, result.workspace_id);
    c.get("logger").info("stripe event", { event_id: event.id, type: event.type, outcome: result.outcome, workspace_id: result.workspace_id });
    return c.json({ received: true as const, outcome: result.outcome }, 200);
  },
);
