/**
 * A cap on the WebSockets one Worker instance holds open at once, so an overload is refused at
 * the door instead of taking the process down. A process has a fixed number of file
 * descriptors (`ulimit -n`); every open socket costs at least one in the runtime and, behind
 * `wrangler dev`'s proxy, more in front of it. When the runtime runs out, `accept()` fails and
 * the runtime exits, dropping every conversation it held. Refusing the socket that would cross
 * the cap keeps the ones already open working.
 *
 * The count lives in this module, one per isolate: each conversation object reports how many
 * sockets it holds whenever that changes (`reportOpenSockets`), and the Worker's WebSocket route
 * asks `socketCapRefusal` before handing a new socket to its object. Locally (`wrangler dev`, a
 * self-hosted workerd) the Worker and every conversation object share one isolate, so this is
 * the process's count. On Cloudflare's edge objects run in isolates of their own, so the route
 * sees only what shares its isolate and the cap rarely binds there; the platform's own limits
 * (32,768 sockets per object, hibernation) apply instead. A report per object, not a running
 * sum, keeps the count from drifting when a close is missed: the object's next report corrects
 * its entry. An object evicted with its sockets still open keeps its entry, as its sockets stay.
 */
import { ApiError } from "../lib/errors";
import { limitOf } from "./limit-vars";

/**
 * Open WebSockets per Worker instance when `MAX_OPEN_WEBSOCKETS` is unset: what one process
 * holds behind `wrangler dev` with 20,000 descriptors, 30 % of them to spare, at ~4 per socket
 * in the dev proxy (scripts/lib/fd-limit.mjs; bench/sockets.mjs, BENCHMARKS.md "WebSockets at
 * scale"). `npm start` sets it from the process's real descriptor limit.
 */
export const DEFAULT_MAX_OPEN_WEBSOCKETS = 3_500;

/** Seconds a refused client is told to wait: sockets close as visitors leave, within seconds to minutes. */
export const SOCKET_CAP_RETRY_AFTER_SECONDS = 30;

/** The variable setting the cap: a positive integer, or `off` for none. */
export type SocketCapVars = Partial<Record<"MAX_OPEN_WEBSOCKETS", string>>;

/** Sockets open per conversation object (by object id), as each last reported. */
const openByObject = new Map<string, number>();
let total = 0;
/** Sockets admitted by the route whose object has not answered yet: counted so a burst of handshakes cannot overshoot the cap. */
let admitting = 0;

/** Records how many sockets the object `objectId` holds open now. */
export function reportOpenSockets(objectId: string, open: number): void {
  total += open - (openByObject.get(objectId) ?? 0);
  if (open > 0) openByObject.set(objectId, open);
  else openByObject.delete(objectId);
}

/**
 * Counts the sockets of a conversation object that are still open (`readyState` OPEN) and
 * reports them: called by the object after it accepts a socket and after one closes or fails.
 */
export function reportObjectSockets(objectId: string, sockets: readonly WebSocket[]): void {
  reportOpenSockets(objectId, sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length);
}

/** WebSockets open in this isolate now, across every conversation object. */
export function openWebSockets(): number {
  return total;
}

/**
 * Admits one new socket against the cap: throws the refusal (`socketCapRefusal`) when the
 * instance is full, else counts the socket as being opened until the returned `release` is
 * called, once its object has answered (by then the object has reported it, if it opened).
 */
export function admitSocket(vars: SocketCapVars): () => void {
  const refusal = socketCapRefusal(vars, total + admitting);
  if (refusal) throw refusal;
  admitting += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    admitting -= 1;
  };
}

/** The cap after its override: null when switched off. */
export function maxOpenWebSockets(vars: SocketCapVars): number | null {
  return limitOf(vars.MAX_OPEN_WEBSOCKETS, DEFAULT_MAX_OPEN_WEBSOCKETS);
}

/**
 * The refusal for a new socket when the instance already holds the cap's worth: 429
 * `rate_limited` with `Retry-After` (API.md's error shape; its 503 is `misconfigured`, which
 * says the deployment is broken, not busy). Null when the socket may open.
 */
export function socketCapRefusal(vars: SocketCapVars, open = openWebSockets()): ApiError | null {
  const cap = maxOpenWebSockets(vars);
  if (cap === null || open < cap) return null;
  return new ApiError(
    "rate_limited",
    "this server holds as many live conversations as it can; try again shortly",
    { window: "open_websockets", limit: cap, retry_after_seconds: SOCKET_CAP_RETRY_AFTER_SECONDS },
    { "Retry-After": String(SOCKET_CAP_RETRY_AFTER_SECONDS) },
  );
}
