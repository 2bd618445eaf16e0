/**
 * The few Cloudflare API calls the rollout and the backups make, with the API token as a bearer:
 * the Worker's deployments (list, create), the error rate of one Worker version from the GraphQL
 * Analytics API, and an R2 bucket's object list. REST answers come in Cloudflare's envelope
 * (`{success, errors, messages, result}`); a 429 is retried after its `Retry-After`.
 */

/** Where the API lives; `CLOUDFLARE_API_BASE_URL` points elsewhere (wrangler reads the same variable). */
export const DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4";

const MAX_ATTEMPTS = 4; // a 429 three times in a row is a real problem, not a burst
const DEFAULT_RETRY_AFTER_S = 5; // when a 429 names no wait
const MAX_RETRY_AFTER_S = 60;
const REQUEST_TIMEOUT_MS = 30_000;

/** An answer of the Cloudflare API that was not a success, with Cloudflare's own error messages. */
export class CloudflareApiError extends Error {
  /** @param {string} message @param {number} status @param {unknown[]} errors */
  constructor(message, status, errors) {
    super(message);
    this.name = "CloudflareApiError";
    this.status = status;
    this.errors = errors;
  }
}

/**
 * A client for one account. `sleep` is how it waits out a 429 (the tests pass a quick one).
 * @param {{ apiToken: string, accountId: string, apiBase?: string, sleep?: (ms: number) => Promise<void> }} options
 */
export function cloudflareApi({ apiToken, accountId, apiBase = DEFAULT_API_BASE, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }) {
  if (!apiToken) throw new Error("CLOUDFLARE_API_TOKEN is not set");
  if (!accountId) throw new Error("CLOUDFLARE_ACCOUNT_ID is not set");
  const base = apiBase.replace(/\/+$/, "");

  /** One call; resolves with the parsed JSON body of a 2xx answer. */
  async function call(method, path, body) {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${apiToken}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (res.status === 429 && attempt < MAX_ATTEMPTS) {
        await res.body?.cancel();
        const wait = Math.min(Number(res.headers.get("retry-after")) || DEFAULT_RETRY_AFTER_S, MAX_RETRY_AFTER_S);
        await sleep(wait * 1000);
        continue;
      }
      const text = await res.text();
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CloudflareApiError(`${method} ${path}: ${res.status}, not JSON: ${text.slice(0, 200)}`, res.status, []);
      }
      const errors = Array.isArray(parsed?.errors) ? parsed.errors : [];
      if (!res.ok || parsed?.success === false) {
        const said = errors.map((e) => `${e.code ?? "?"} ${e.message ?? ""}`.trim()).join("; ") || "no error message";
        throw new CloudflareApiError(`${method} ${path}: ${res.status} (${said})`, res.status, errors);
      }
      return parsed;
    }
  }

  const scriptPath = (scriptName) => `/accounts/${encodeURIComponent(accountId)}/workers/scripts/${encodeURIComponent(scriptName)}`;

  return {
    /** A raw call: the parsed body of a 2xx answer. */
    call,

    /** Every object of the R2 bucket `bucket` (see `listR2Objects`). */
    listR2Objects: (bucket, options) => listR2Objects(call, accountId, bucket, options),

    /**
     * The Worker's deployments, newest (the one serving traffic) first.
     * @returns {Promise<Deployment[]>}
     */
    async listDeployments(scriptName) {
      const body = await call("GET", `${scriptPath(scriptName)}/deployments`);
      return body.result?.deployments ?? [];
    },

    /**
     * Sends traffic to `versions` (`[{version_id, percentage}]`, percentages adding up to 100),
     * as `wrangler versions deploy` does. `message` is the deployment's annotation.
     * @returns {Promise<Deployment>}
     */
    async createDeployment(scriptName, versions, message) {
      const body = await call("POST", `${scriptPath(scriptName)}/deployments`, {
        strategy: "percentage",
        versions,
        annotations: { "workers/message": message.slice(0, 50) },
      });
      return body.result;
    },

    /**
     * Requests and errors of one version of the Worker between `since` and `until` (Date),
     * from the `workersInvocationsAdaptive` dataset grouped by `scriptVersion`.
     * @returns {Promise<{ requests: number, errors: number }>}
     */
    async versionErrors(scriptName, versionId, since, until) {
      const body = await call("POST", "/graphql", {
        query: VERSION_ERRORS_QUERY,
        variables: {
          accountTag: accountId,
          scriptName,
          scriptVersion: versionId,
          datetimeStart: since.toISOString(),
          datetimeEnd: until.toISOString(),
        },
      });
      if (Array.isArray(body.errors) && body.errors.length > 0) {
        throw new CloudflareApiError(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`, 200, body.errors);
      }
      const rows = body.data?.viewer?.accounts?.[0]?.workersInvocationsAdaptive ?? [];
      let requests = 0;
      let errors = 0;
      for (const row of rows) {
        if (row.dimensions?.scriptVersion !== undefined && row.dimensions.scriptVersion !== versionId) continue;
        requests += Number(row.sum?.requests ?? 0);
        errors += Number(row.sum?.errors ?? 0);
      }
      return { requests, errors };
    },
  };
}

/**
 * Invocations of one Worker version in a time window. `errors` counts invocations that did not
 * end in success (uncaught exceptions, exceeded limits), which is what a bad release shows.
 */
const VERSION_ERRORS_QUERY = `query RolloutVersionErrors($accountTag: string, $scriptName: string, $scriptVersion: string, $datetimeStart: string, $datetimeEnd: string) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      workersInvocationsAdaptive(limit: 100, filter: { scriptName: $scriptName, scriptVersion: $scriptVersion, datetime_geq: $datetimeStart, datetime_leq: $datetimeEnd }) {
        sum { requests errors }
        dimensions { scriptVersion }
      }
    }
  }
}`;

/**
 * A deployment as the API returns it.
 * @typedef {{ id: string, created_on: string, source?: string, strategy: string, versions: { version_id: string, percentage: number }[], annotations?: Record<string, string> }} Deployment
 */

const R2_PAGE_SIZE = 1000; // the most one page of the R2 object list holds

/**
 * Every object of an R2 bucket as `{key, size, etag, last_modified, http_metadata?,
 * custom_metadata?}`, following the list's cursor page after page.
 * @param {ReturnType<typeof cloudflareApi>["call"]} call
 */
export async function listR2Objects(call, accountId, bucket, { perPage = R2_PAGE_SIZE } = {}) {
  const objects = [];
  let cursor = "";
  for (;;) {
    const query = new URLSearchParams({ per_page: String(perPage), ...(cursor ? { cursor } : {}) });
    const body = await call("GET", `/accounts/${encodeURIComponent(accountId)}/r2/buckets/${encodeURIComponent(bucket)}/objects?${query}`);
    objects.push(...(body.result ?? []));
    cursor = body.result_info?.cursor ?? "";
    if (!body.result_info?.is_truncated || !cursor) return objects;
  }
}
