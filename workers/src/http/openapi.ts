import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ErrorSchema } from "../../../schema/api";
import type { AuditContext } from "../analytics/audit";
import { zodIssues } from "../lib/zod-issues";
import { ApiError, errorCodeOf, type ErrorStatus } from "../lib/errors";
import type { AppEnv } from "./app-env";

/** OpenAPI `responses` entries for the error statuses a route can answer with. */
export function errorResponses(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: errorCodeOf(s), content: { "application/json": { schema: ErrorSchema } } }]),
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
