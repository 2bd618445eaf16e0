/**
 * How calls to Slack, Twilio, SendGrid, Zendesk and HubSpot fail, and when to try again. Every outbound
 * client goes through `providerFetch`, so a 429's `Retry-After` and a 5xx are handled the same
 * way everywhere: the queue job is retried no sooner than the provider asked.
 */

import { BlockedDestinationError, STRICT_OUTBOUND_POLICY, type OutboundPolicy } from "../lib/network-policy";
import { safeFetch } from "../lib/safe-fetch";

/** The providers the platform talks to. */
export type ProviderName = "slack" | "twilio" | "sendgrid" | "zendesk" | "hubspot";

/** Longest delay a Queues retry can carry (the platform's limit on `delaySeconds`). */
export const MAX_RETRY_DELAY_SECONDS = 12 * 60 * 60;
/** `ProviderError.code` of a call refused before it left: the base URL (or a redirect) is not a public address. */
export const BLOCKED_DESTINATION = "blocked_destination";
/** Backoff when the provider gave no `Retry-After`: doubling from 10 s, capped at 15 minutes. */
const BACKOFF_BASE_SECONDS = 10;
const BACKOFF_MAX_SECONDS = 15 * 60;
/** How much of an error body is kept in the message (and shown in the dashboard). */
const ERROR_BODY_CHARS = 300;

/** A failed provider call: its status (0 for a network failure) and the provider's advice. */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly status: number,
    message: string,
    /** Seconds the provider asked us to wait (429 `Retry-After`), or null. */
    readonly retryAfterSeconds: number | null = null,
    /** Provider-specific error code (Slack `error`, Twilio `code`), when given. */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "ProviderError";
  }

  /** Worth retrying: network failures, timeouts, rate limits and server errors. */
  get retryable(): boolean {
    if (this.code === BLOCKED_DESTINATION) return false; // the settings must change first
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/**
 * How long a queue job waits before its next attempt after `err`: what the provider asked for
 * when it said, else exponential backoff by attempt number (1 = first delivery).
 */
export function retryDelaySeconds(err: unknown, attempts: number): number {
  if (err instanceof ProviderError && err.retryAfterSeconds !== null) {
    return Math.min(err.retryAfterSeconds, MAX_RETRY_DELAY_SECONDS);
  }
  return Math.min(BACKOFF_BASE_SECONDS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_SECONDS);
}

/** True when trying again may succeed; bad credentials or a refused payload will not. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ProviderError ? err.retryable : true;
}

/** A short, secret-free description of a failure for `last_error` and logs. */
export function describeFailure(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 500);
}

/** Options every provider client takes. */
export interface ProviderClientOptions {
  /** Base URL of the provider's API (tests point it at a local server). */
  baseUrl?: string | undefined;
  /** The fetch to use; defaults to the global one. */
  fetcher?: typeof fetch | undefined;
  /**
   * Which addresses may be called: base URLs come from tenants' settings, so every call and
   * redirect is checked (`outboundPolicy(env)`; tests' local servers are allowed through it).
   */
  policy: OutboundPolicy;
}

/**
 * Fetches from a provider and turns any non-2xx answer (or a network failure) into a
 * `ProviderError` carrying the status and `Retry-After`. A URL or redirect the policy refuses
 * is never requested: it fails with the code `blocked_destination`, not worth retrying.
 */
export async function providerFetch(
  provider: ProviderName,
  url: string,
  init: RequestInit,
  fetcher: typeof fetch = fetch,
  policy: OutboundPolicy = STRICT_OUTBOUND_POLICY,
): Promise<Response> {
  let res: Response;
  try {
    res = await safeFetch(url, init, policy, fetcher);
  } catch (err) {
    if (err instanceof BlockedDestinationError) {
      throw new ProviderError(provider, 0, `${provider} API address refused: ${err.message}`, null, BLOCKED_DESTINATION);
    }
    throw new ProviderError(provider, 0, `${provider} unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.ok) return res;
  const body = (await res.text().catch(() => "")).replace(/\s+/g, " ").trim();
  let code: string | null = null;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; error?: unknown };
    if (typeof parsed.code === "string" || typeof parsed.code === "number") code = String(parsed.code);
    else if (typeof parsed.error === "string") code = parsed.error;
  } catch {
    // not JSON: the text is enough
  }
  throw new ProviderError(
    provider,
    res.status,
    `${provider} answered ${res.status}${body ? `: ${body.slice(0, ERROR_BODY_CHARS)}` : ""}`,
    parseRetryAfter(res.headers.get("retry-after")),
    code,
  );
}

/** Joins a base URL and a path without doubling or losing the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** `Authorization: Basic …` for a user and password. */
export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}
