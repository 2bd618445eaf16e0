import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ErrorSchema } from "../../../schema/api";
import type { AuditContext } from "../analytics/audit";
import { zodIssues } from "../lib/zod-issues";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

const ERROR_DESCRIPTIONS = {
  400: "invalid_request",
  401: "unauthorized",
  402: "payment_required",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "misconfigured",
} as const;

/** OpenAPI `responses` entries for the error statuses a route can answer with. */
export function errorResponses(...statuses: (keyof typeof ERROR_DESCRIPTIONS)[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: ERROR_DESCRIPTIONS[s], content: { "application/json": { schema: ErrorSchema } } }]),
  );
}

/** An OpenAPI JSON body (request or response). */
export function json<T extends z.ZodType>(schema: T, description = "") {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

/** A sub-app whose validation failures become 400 `invalid_request` with zod's issues. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError("invalid_request", "request is invalid", { issues: zodIssues(result.error) });
      }
    },
  });
}

/** Request facts recorded with audit entries. */
export function auditContext(c: Context<AppEnv>): AuditContext {
  return { requestId: c.get("requestId"), ip: c.req.header("cf-connecting-ip") ?? null };
}
