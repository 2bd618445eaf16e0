/**
 * The API's errors, at the bottom of the tree like Hono's `HTTPException`: every room may throw
 * an `ApiError`, and only `http/` turns one into a response (`app.onError`). The code ↔ status
 * table below is the only one: the error handler, the OpenAPI error responses and anything else
 * that needs a status for a code (or a code for a status) read it.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The error codes of API.md, each with the status it always travels with. */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  upstream_error: 502,
  misconfigured: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

/** One of the API's error codes. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** A status some error code travels with. */
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

// Each status belongs to one code (the table above has no repeats), so the reverse is a lookup.
const CODE_OF_STATUS = new Map<number, ErrorCode>(
  (Object.entries(ERROR_STATUS) as [ErrorCode, ErrorStatus][]).map(([code, status]) => [status, code]),
);

/** The code a status stands for; undefined for a status no API error travels with. */
export function errorCodeOf(status: ErrorStatus): ErrorCode;
export function errorCodeOf(status: number): ErrorCode | undefined;
export function errorCodeOf(status: number): ErrorCode | undefined {
  return CODE_OF_STATUS.get(status);
}

/** A failure the client should see, turned into the API.md error shape by `app.onError`. */
export class ApiError extends Error {
  readonly status: ErrorStatus;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = ERROR_STATUS[code];
  }
}

/** The thing asked for does not exist, or belongs to another workspace: same answer either way. */
export function notFound(what = "resource"): ApiError {
  return new ApiError("not_found", `${what} not found`);
}

/**
 * The deployment lacks a setting it cannot run this request without (a secret, usually). The
 * message names the variable and what it needs, never a value; `/readyz` lists the same.
 */
export function misconfigured(variable: string, requirement: string): ApiError {
  return new ApiError("misconfigured", `this deployment is misconfigured: ${variable} ${requirement}`, { variable });
}

/** The JSON body of an error response. */
export function errorBody(code: ErrorCode | string, message: string, details?: Record<string, unknown>) {
  return { error: details ? { code, message, details } : { code, message } };
}
