import { createMiddleware } from "hono/factory";
import { newId } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import { continueTrace, formatTraceparent, runInTrace, TRACEPARENT } from "../../lib/trace-context";
import type { AppEnv } from "../app-env";

const INBOUND_REQUEST_ID = /^[\w.-]{8,64}$/; // accept a caller's id only if it is harmless to echo

/**
 * Whether each request ends with an access-log line: on unless `ACCESS_LOG` is "off". Off,
 * warnings, errors and every other event are still logged. `npm start` turns it off: `wrangler
 * dev` prints a line of its own per request, and on a small machine writing a second one
 * through the local runtime's output costs a request about 2.5 ms (`npm run bench -- access-log`).
 */
function accessLogOn(env: Pick<Env, "ACCESS_LOG">): boolean {
  return env.ACCESS_LOG?.trim().toLowerCase() !== "off";
}

/**
 * Gives every request an id (the caller's `X-Request-Id` if sane, else a new one), a trace (the
 * caller's `traceparent` trace id with a new span id if well-formed, else a new trace) that the
 * request's work runs in, a logger carrying both, the `X-Request-Id` and `traceparent` response
 * headers, and one access-log line when it ends (unless `ACCESS_LOG` is "off").
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const inbound = c.req.header("x-request-id");
  const requestId = inbound && INBOUND_REQUEST_ID.test(inbound) ? inbound : newId("request");
  const trace = continueTrace(c.req.header(TRACEPARENT));
  const traceparent = formatTraceparent(trace);
  const logger = createLogger({ request_id: requestId });
  c.set("requestId", requestId);
  c.set("logger", logger);
  const started = Date.now();
  await runInTrace(trace, next);
  if (c.res.webSocket) {
    // An upgrade's headers are immutable: answer with a copy that carries the id.
    const headers = new Headers(c.res.headers);
    headers.set("X-Request-Id", requestId);
    headers.set(TRACEPARENT, traceparent);
    c.res = new Response(null, { status: c.res.status, headers, webSocket: c.res.webSocket });
  } else {
    c.res.headers.set("X-Request-Id", requestId);
    c.res.headers.set(TRACEPARENT, traceparent);
  }
  if (!accessLogOn(c.env)) return;
  const principal = c.get("principal");
  runInTrace(trace, () => logger.info("request", {
    method: c.req.method,
    path: new URL(c.req.url).pathname, // never the query: it may carry a conversation token
    status: c.res.status,
    duration_ms: Date.now() - started,
    workspace_id: principal?.workspaceId,
  }));
});
