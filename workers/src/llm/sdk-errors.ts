import { abortedError, kindForStatus, ModelError, retryAfterMs, type ModelErrorKind } from "./model-error";

/**
 * Provider SDK errors into `ModelError`. The `openai` and `@anthropic-ai/sdk` packages are built
 * from the same generator and share their error classes' shape, so one mapping serves both.
 */

type ErrorClass = abstract new (...args: never[]) => Error;

/** The error classes an SDK exports, passed in so each adapter maps its own SDK's instances. */
export type SdkErrorClasses = {
  APIError: ErrorClass;
  APIUserAbortError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
};

/** Error `type`s providers put in error events inside an already-open stream. */
const STREAM_ERROR_KINDS: Readonly<Record<string, ModelErrorKind>> = {
  overloaded_error: "overloaded",
  rate_limit_error: "rate_limited",
  rate_limit_exceeded: "rate_limited",
  api_error: "server_error",
  server_error: "server_error",
  timeout_error: "timeout",
  invalid_request_error: "invalid_request",
  authentication_error: "auth",
  permission_error: "auth",
};

/** `err`, thrown while calling or reading `model` through an SDK, as a `ModelError`. */
export function fromSdkError(err: unknown, model: string, sdk: SdkErrorClasses, signal?: AbortSignal): ModelError {
  if (err instanceof ModelError) return err;
  if (signal?.aborted || err instanceof sdk.APIUserAbortError) return abortedError(model, err);
  if (err instanceof sdk.APIConnectionTimeoutError) {
    return new ModelError("timeout", `${model} did not answer in time`, { model, cause: err });
  }
  if (err instanceof sdk.APIConnectionError) {
    return new ModelError("connection", `could not reach ${model}: ${err.message}`, { model, cause: err });
  }
  if (err instanceof sdk.APIError) {
    const { status, headers, type } = err as Error & { status?: unknown; headers?: unknown; type?: unknown };
    if (typeof status === "number") {
      return new ModelError(kindForStatus(status), `${model} answered ${err.message}`, {
        model,
        status,
        retryAfterMs: retryAfterMs(headers instanceof Headers ? headers : undefined),
        cause: err,
      });
    }
    // No status: an error event in the middle of a stream that had started fine.
    const kind = (typeof type === "string" && STREAM_ERROR_KINDS[type]) || "server_error";
    return new ModelError(kind, `${model} failed mid-stream: ${err.message}`, { model, cause: err });
  }
  // A body that broke off while being read, or an event that was not JSON.
  const message = err instanceof Error ? err.message : String(err);
  return new ModelError("connection", `${model} stream broke: ${message}`, { model, cause: err });
}
