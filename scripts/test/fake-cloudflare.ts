/**
 * Local stand-ins for what the rollout and the backups talk to: the Cloudflare API (Worker
 * deployments, the GraphQL Analytics API and R2 object lists, in Cloudflare's envelope, behind a
 * bearer token) and a deployed Worker's
 * preview URL for the smoke checks. Each is a node:http server on a free port.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeDeployment {
  id: string;
  created_on: string;
  source: string;
  strategy: string;
  author_email: string;
  versions: { version_id: string; percentage: number }[];
  annotations?: Record<string, string>;
}

/** Invocations the analytics report for a version while it serves `percent` of the traffic. */
export type Traffic = (versionId: string, percent: number) => { requests: number; errors: number };

export interface FakeCloudflareApi {
  url: string;
  token: string;
  accountId: string;
  scriptName: string;
  /** Newest first, as the API lists them. */
  deployments: FakeDeployment[];
  /** Every request: method, path and (for POSTs) the parsed body. */
  requests: { method: string; path: string; body?: any }[];
  /** Answer the next `n` requests 429 with `Retry-After: 1`. */
  throttleNext(n: number): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function readJson(req: IncomingMessage): Promise<any> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

function envelope(res: ServerResponse, status: number, result: unknown, errors: { code: number; message: string }[] = []) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ success: errors.length === 0, errors, messages: [], result }));
}

/**
 * The Cloudflare API for one account and one Worker, serving `initialVersion` at 100% (none when
 * null). `knownVersions` are the versions uploaded (deployments may only name those). `traffic`
 * answers the analytics query from the traffic split the current deployment gives the version.
 */
export async function startFakeCloudflareApi({
  initialVersion,
  knownVersions,
  traffic,
  r2Objects = {},
}: {
  initialVersion: string | null;
  knownVersions: string[];
  traffic: Traffic;
  /** Objects of R2 buckets by bucket name, listed a page at a time (at most `per_page`, default 1,000). */
  r2Objects?: Record<string, { key: string; size: number; etag: string; last_modified: string }[]>;
}): Promise<FakeCloudflareApi> {
  const token = `cf-test-${randomUUID()}`;
  const accountId = randomUUID().replaceAll("-", "");
  const scriptName = "edgedesk-staging";
  const deployments: FakeDeployment[] = [];
  const requests: FakeCloudflareApi["requests"] = [];
  let throttled = 0;
  const deploy = (versions: FakeDeployment["versions"], message: string | undefined, source: string) => {
    const deployment: FakeDeployment = {
      id: randomUUID(),
      created_on: new Date().toISOString(),
      source,
      strategy: "percentage",
      author_email: "ci@example.com",
      versions,
      ...(message ? { annotations: { "workers/message": message } } : {}),
    };
    deployments.unshift(deployment);
    return deployment;
  };
  if (initialVersion) deploy([{ version_id: initialVersion, percentage: 100 }], undefined, "wrangler");

  const deploymentsPath = `/client/v4/accounts/${accountId}/workers/scripts/${scriptName}/deployments`;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const body = req.method === "POST" ? await readJson(req).catch(() => null) : undefined;
    requests.push({ method: req.method ?? "", path, ...(body !== undefined ? { body } : {}) });
    if (throttled > 0) {
      throttled -= 1;
      res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "1" });
      return void res.end(JSON.stringify({ success: false, errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }], messages: [], result: null }));
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return envelope(res, 403, null, [{ code: 10000, message: "Authentication error" }]);
    }
    if (path === deploymentsPath && req.method === "GET") return envelope(res, 200, { deployments });
    if (path === deploymentsPath && req.method === "POST") {
      const versions: FakeDeployment["versions"] | undefined = body?.versions;
      const problem =
        body?.strategy !== "percentage"
          ? "strategy must be percentage"
          : !Array.isArray(versions) || versions.length < 1 || versions.length > 2
            ? "a deployment has one or two versions"
            : versions.some((v) => !knownVersions.includes(v.version_id))
              ? "version not found"
              : versions.reduce((sum, v) => sum + v.percentage, 0) !== 100
                ? "percentages must add up to 100"
                : null;
      if (problem) return envelope(res, 400, null, [{ code: 10021, message: problem }]);
      return envelope(res, 200, deploy(versions!, body.annotations?.["workers/message"], "api"));
    }
    const r2List = new RegExp(`^/client/v4/accounts/${accountId}/r2/buckets/([^/]+)/objects$`).exec(path);
    if (r2List && req.method === "GET") {
      const objects = r2Objects[decodeURIComponent(r2List[1]!)];
      if (!objects) return envelope(res, 404, null, [{ code: 10006, message: "The specified bucket does not exist." }]);
      const query = new URL(req.url ?? "/", "http://x").searchParams;
      const perPage = Math.min(Number(query.get("per_page") ?? 1000), 1000);
      const start = query.get("cursor") ? Number(Buffer.from(query.get("cursor")!, "base64url").toString()) : 0;
      const page = objects.slice(start, start + perPage);
      const truncated = start + perPage < objects.length;
      res.writeHead(200, { "Content-Type": "application/json" });
      return void res.end(
        JSON.stringify({
          success: true,
          errors: [],
          messages: [],
          result: page,
          result_info: { cursor: truncated ? Buffer.from(String(start + perPage)).toString("base64url") : "", is_truncated: truncated, per_page: perPage },
        }),
      );
    }
    if (path === "/client/v4/graphql" && req.method === "POST") {
      const vars = body?.variables ?? {};
      const query: string = body?.query ?? "";
      if (!query.includes("workersInvocationsAdaptive") || vars.accountTag !== accountId || vars.scriptName !== scriptName) {
        res.writeHead(200, { "Content-Type": "application/json" });
        return void res.end(JSON.stringify({ data: null, errors: [{ message: "unknown dataset, account or script", path: ["viewer"] }] }));
      }
      const percent = deployments[0]?.versions.find((v) => v.version_id === vars.scriptVersion)?.percentage ?? 0;
      const { requests: reqs, errors } = traffic(vars.scriptVersion, percent);
      const rows = reqs > 0 ? [{ sum: { requests: reqs, errors }, dimensions: { scriptVersion: vars.scriptVersion } }] : [];
      res.writeHead(200, { "Content-Type": "application/json" });
      return void res.end(JSON.stringify({ data: { viewer: { accounts: [{ workersInvocationsAdaptive: rows }] } }, errors: null }));
    }
    envelope(res, 404, null, [{ code: 7003, message: "Could not route to the requested path" }]);
  });
  const url = await listen(server);
  return {
    url: `${url}/client/v4`,
    token,
    accountId,
    scriptName,
    deployments,
    requests,
    throttleNext: (n) => void (throttled = n),
    close: () => close(server),
  };
}

/** A Worker's preview URL as the smoke checks see it; `broken` names a path that answers 500. */
export async function startFakeWorker({ broken }: { broken?: string } = {}): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.push(path);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json", "X-Request-Id": randomUUID() });
      res.end(JSON.stringify(body));
    };
    if (path === broken) return json(500, { error: { code: "internal", message: "internal error", request_id: randomUUID() } });
    if (path === "/healthz") return json(200, { ok: true, version: "0.1.0" });
    if (path === "/readyz") return json(200, { ok: true, checks: [{ name: "d1", ok: true }], missing: [] });
    if (path === "/robots.txt") return void res.writeHead(200, { "Content-Type": "text/plain" }).end("User-agent: *\nDisallow:\n");
    if (path === "/api/v1/assistants") return json(401, { error: { code: "unauthorized", message: "missing credentials" } });
    if (path === "/api/v1/openapi.json") return json(200, { openapi: "3.1.0", info: { title: "EdgeDesk" }, paths: { "/api/v1/assistants": {} } });
    json(404, { error: { code: "not_found", message: "not found" } });
  });
  const url = await listen(server);
  return { url, hits, close: () => close(server) };
}
