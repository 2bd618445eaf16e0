/**
 * What every provider webhook shares: the workspace named in the URL (`?ws=ws_…`, the URL the
 * admin pastes into the provider's settings), the raw body read with a size limit (signatures
 * are over the exact bytes), and one way to refuse.
 */
import type { Context } from "hono";
import { isId } from "../../lib/ids";
import type { SignatureFailure } from "../../channels/webhook-crypto";
import type { AppEnv } from "../app-env";
import { readLimited } from "../../lib/read-limited";
import { ApiError } from "../../lib/errors";

/** JSON and form webhooks are small; anything bigger is not from the provider. */
export const MAX_WEBHOOK_BODY_BYTES = 1_048_576; // 1 MiB

/** The workspace a webhook URL names, or null. */
export function webhookWorkspace(c: Context<AppEnv>): string | null {
  const ws = c.req.query("ws");
  return ws && isId("workspace", ws) ? ws : null;
}

/** The request body's exact bytes; 413 beyond `limit`. */
export async function rawBody(c: Context<AppEnv>, limit = MAX_WEBHOOK_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (declared > limit) throw new ApiError("payload_too_large", `request body exceeds ${limit} bytes`, { limit_bytes: limit });
  return readLimited(c.req.raw.body, limit, () => new ApiError("payload_too_large", `request body exceeds ${limit} bytes`, { limit_bytes: limit }));
}

/**
 * Refuses a webhook (401) without saying why: the reason is logged for the operator, while a
 * forger learns nothing about which check failed.
 */
export function refuse(c: Context<AppEnv>, provider: string, reason: SignatureFailure | "unknown_workspace"): never {
  c.get("logger").warn("webhook refused", { provider, reason });
  throw new ApiError("unauthorized", "webhook signature verification failed");
}

/** The public origin of this deployment as the provider called it. */
export function publicOrigin(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}
