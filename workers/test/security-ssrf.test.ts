import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { saveIntegration } from "../src/channels/integrations";
import { testConnection } from "../src/channels/connection-test";
import { acceptDocument, type IngestJob } from "../src/knowledge/documents";
import { consumeIngest } from "../src/knowledge/ingest";
import { createDb } from "../src/storage/db";
import { configure, fakeBase, providerLog, scenario } from "./channel-helpers";
import { call, createAssistant, signUp } from "./helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

/**
 * The Worker never fetches a private or local address for a tenant: not as a document URL, not
 * through a redirect while crawling, not as an integration's API base URL, not in a connection
 * test. Only the test servers' exact host:port pairs are let through (ALLOW_PRIVATE_FETCH),
 * and not in production.
 */

const sitePort = () => new URL(env.SITE_URL).port;

/** Private and local destinations, in the spellings a tenant might use to slip past a check. */
const PRIVATE_URLS = [
  "http://2130706433/",
  "http://0177.0.0.1/",
  "http://0x7f.1/",
  "http://127.1/",
  "http://127.0.1/",
  "http://127.0.0.1./",
  "http://127.0.0.1:8080/",
  "http://localhost/",
  "http://admin.localhost/",
  "http://nas.local/",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://169.254.169.254/latest/meta-data/",
  "http://0.0.0.0/",
  "http://10.0.0.5/",
  "http://172.16.0.1/",
  "http://192.168.0.1/",
  "http://100.64.0.1/",
  "http://[::1]/",
  "http://[fd00::1]/",
  "http://[fe80::1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:7f00:1]/",
  "http://[64:ff9b::a9fe:a9fe]/",
  "http://224.0.0.1/",
  "http://255.255.255.255/",
];

let sites = 0;
/** A scenario prefix of the fake site and its request log. */
function freshSite(name: string) {
  sites += 1;
  const prefix = `/${name}-${sites}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    prefix,
    url: (path: string) => `${env.SITE_URL}${prefix}${path}`,
    async served(): Promise<string[]> {
      const res = await fetch(`${env.SITE_URL}/__log?prefix=${encodeURIComponent(`${prefix}/`)}`);
      return ((await res.json()) as { path: string }[]).map((s) => s.path.slice(prefix.length));
    },
  };
}

async function documentRows(assistantId: string) {
  const rows = await env.DB.prepare("select id, source_url, status, error, chunk_count from kb_documents where assistant_id = ? order by created_at")
    .bind(assistantId)
    .all<{ id: string; source_url: string; status: string; error: string | null; chunk_count: number }>();
  return rows.results;
}

/** Polls a document until the ingestion queue has settled it. */
async function settled(token: string, id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await call("GET", `/api/v1/documents/${id}`, { token });
    if (res.body.status === "ready" || res.body.status === "failed") return res.body as { status: string; error: string | null; chunk_count: number };
    if (Date.now() > deadline) throw new Error(`document ${id} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe("URL documents", () => {
  it("refuses every spelling of a private or local address with 400 and creates no document", async () => {
    const s = await signUp("Ssrf");
    const assistant = await createAssistant(s.access_token);
    for (const url of [...PRIVATE_URLS, `http://localhost:${sitePort()}/`]) {
      const res = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token: s.access_token, body: { url } });
      expect({ url, status: res.status, code: res.body.error?.code }).toEqual({ url, status: 400, code: "invalid_request" });
      expect(res.body.error.message).toMatch(/only public internet addresses|http or https/);
    }
    expect(await documentRows(assistant.id)).toEqual([]);
  });

  it("still imports from the fake site under the test allowance, but not from the same server by another name", async () => {
    const s = await signUp("Allowed");
    const assistant = await createAssistant(s.access_token);
    const site = freshSite("allowance");
    const refused = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, {
      token: s.access_token,
      body: { url: `http://localhost:${sitePort()}${site.prefix}/help/returns` },
    });
    expect(refused.status).toBe(400);
    const ok = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token: s.access_token, body: { url: site.url("/help/shipping") } });
    expect(ok.status).toBe(202);
    expect(await settled(s.access_token, ok.body.id)).toMatchObject({ status: "ready", error: null });
    expect(await site.served()).toEqual(["/help/shipping"]);
    expect((await documentRows(assistant.id)).map((d) => d.source_url)).toEqual([site.url("/help/shipping")]);
  });

  it.each([
    ["the same server under another name", () => `http://localhost:${sitePort()}`, /localhost:\d+ is a local host name/],
    ["the cloud metadata address", () => "http://169.254.169.254", /169\.254\.169\.254 is a link-local address/],
    ["an IPv4-mapped IPv6 loopback", () => `http://[::ffff:127.0.0.1]:${sitePort()}`, /\[::ffff:7f00:1\]:\d+ is an IPv4-mapped IPv6 address/],
  ])("refuses a crawl's redirect to %s: the hop is not fetched and no page is indexed", async (_name, target, reason) => {
    const s = await signUp("Redirected");
    const assistant = await createAssistant(s.access_token);
    const site = freshSite("redirect");
    const to = `${target()}${site.prefix}/help/hours`;
    const res = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, {
      token: s.access_token,
      body: { url: site.url(`/redirect?to=${encodeURIComponent(to)}`), crawl: { max_pages: 5, max_depth: 2 } },
    });
    expect(res.status).toBe(202);
    const doc = await settled(s.access_token, res.body.id);
    expect(doc).toMatchObject({ status: "failed", chunk_count: 0 });
    expect(doc.error).toMatch(/redirects to a refused address/);
    expect(doc.error).toMatch(reason);
    // Only the redirecting page was requested; the page behind the refused hop never was.
    expect(await site.served()).toEqual(["/redirect"]);
    expect(await documentRows(assistant.id)).toHaveLength(1);
    const chunks = await env.DB.prepare("select count(*) as n from kb_chunks where assistant_id = ?").bind(assistant.id).first<{ n: number }>();
    expect(chunks?.n).toBe(0);
  });

  it("fails a queued document whose stored URL is private, at once and for good, without fetching it", async () => {
    const s = await signUp("Stored");
    const assistant = await createAssistant(s.access_token);
    const id = `doc_stored${Math.random().toString(36).slice(2, 10)}`;
    const now = new Date().toISOString();
    // A row saved before addresses were checked (or by a crawl of such a site).
    await env.DB.prepare(
      "insert into kb_documents (id, workspace_id, assistant_id, title, source_type, source_url, status, created_at, updated_at) values (?, ?, ?, ?, 'url', ?, 'queued', ?, ?)",
    )
      .bind(id, s.workspace.id, assistant.id, "Metadata", "http://169.254.169.254/latest/meta-data/", now, now)
      .run();
    const batch = createMessageBatch<IngestJob>("edgedesk-ingest", [{ id: "m1", timestamp: new Date(), attempts: 1, body: { document_id: id, workspace_id: s.workspace.id } }]);
    const ctx = createExecutionContext();
    await consumeIngest(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toEqual(["m1"]);
    const [row] = await documentRows(assistant.id);
    expect(row).toMatchObject({ status: "failed", chunk_count: 0 });
    expect(row!.error).toMatch(/was not fetched: 169\.254\.169\.254 is a link-local address/);
  });
});

describe("integration API base URLs", () => {
  it("refuses a private api_base_url for every provider with 400 and leaves the settings as they were", async () => {
    const s = await signUp("Integrations");
    const scn = scenario("ssrf-settings");
    const valid: Record<string, Record<string, unknown>> = {
      slack: { team_id: CREDS.slackTeamId, api_base_url: `${fakeBase(scn)}/slack/api` },
      whatsapp: { account_sid: CREDS.twilioAccountSid, api_base_url: `${fakeBase(scn)}/twilio` },
      email: { from_address: "help@acme.test", api_base_url: `${fakeBase(scn)}/sendgrid` },
      zendesk: { subdomain: "acme", agent_email: CREDS.zendeskAgentEmail, api_base_url: `${fakeBase(scn)}/zendesk` },
    };
    for (const [type, config] of Object.entries(valid)) await configure(s.access_token, type, { config });
    const before = await call("GET", "/api/v1/integrations", { token: s.access_token });

    for (const type of Object.keys(valid)) {
      for (const url of PRIVATE_URLS) {
        const res = await call("PUT", `/api/v1/integrations/${type}`, { token: s.access_token, body: { config: { ...valid[type], api_base_url: url } } });
        expect({ type, url, status: res.status, code: res.body.error?.code }).toEqual({ type, url, status: 400, code: "invalid_request" });
        expect(res.body.error.details.issues[0].path).toEqual(["config", "api_base_url"]);
      }
    }
    // A Zendesk "subdomain" that changes the host is refused the same way.
    for (const subdomain of ["127.0.0.1:8080/x?", "evil.test#", "a.b"]) {
      const res = await call("PUT", "/api/v1/integrations/zendesk", { token: s.access_token, body: { config: { subdomain, agent_email: CREDS.zendeskAgentEmail } } });
      expect({ subdomain, status: res.status }).toEqual({ subdomain, status: 400 });
    }
    const after = await call("GET", "/api/v1/integrations", { token: s.access_token });
    expect(after.body).toEqual(before.body);
  });

  it("reports a failed connection test for a private base URL saved earlier, without calling it", async () => {
    const s = await signUp("Stale");
    const scn = scenario("ssrf-stale");
    await configure(s.access_token, "slack", { config: { api_base_url: `${fakeBase(scn)}/slack/api` }, secrets: { bot_token: CREDS.slackBotToken } });
    // Settings stored before base URLs were checked.
    await env.DB.prepare("update integrations set config = ? where workspace_id = ? and type = 'slack'")
      .bind(JSON.stringify({ api_base_url: "http://[::ffff:169.254.169.254]/api" }), s.workspace.id)
      .run();
    const res = await call("POST", "/api/v1/integrations/slack/test", { token: s.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, provider_status: null, detail: expect.stringContaining("not a public internet address") });
    expect(res.body.detail).toContain("IPv4-mapped");
    expect(await providerLog(scn)).toEqual([]);
  });

  it.each(["slack", "whatsapp", "email", "zendesk"])("refuses a %s connection test's redirect to a local address: the hop is never requested", async (type) => {
    const s = await signUp("Hop");
    const scn = scenario("ssrf-hop");
    const base = fakeBase(scn, "redirect-localhost");
    const settings: Record<string, { config: Record<string, unknown>; secrets: Record<string, unknown> }> = {
      slack: { config: { api_base_url: `${base}/slack/api` }, secrets: { bot_token: CREDS.slackBotToken } },
      whatsapp: { config: { account_sid: CREDS.twilioAccountSid, api_base_url: `${base}/twilio` }, secrets: { auth_token: CREDS.twilioAuthToken } },
      email: { config: { api_base_url: `${base}/sendgrid` }, secrets: { sendgrid_api_key: CREDS.sendgridApiKey } },
      zendesk: { config: { subdomain: "acme", agent_email: CREDS.zendeskAgentEmail, api_base_url: `${base}/zendesk` }, secrets: { api_token: CREDS.zendeskApiToken } },
    };
    await configure(s.access_token, type, settings[type]!);
    const res = await call("POST", `/api/v1/integrations/${type}/test`, { token: s.access_token });
    expect(res.body).toMatchObject({ ok: false, detail: expect.stringContaining("not a public internet address") });
    expect(res.body.detail).toMatch(/redirected from 127\.0\.0\.1:\d+ to a refused address: localhost:\d+ is a local host name/);
    // One request (the redirect); following it would have logged a second one, answered `ok`.
    expect((await providerLog(scn)).map((r) => r.step)).toEqual(["redirect-localhost"]);
  });
});

describe("ALLOW_PRIVATE_FETCH in production", () => {
  const production = () => ({ ...env, ENVIRONMENT: "production" });

  it("is ignored for documents: the fake site's own URL is refused and no row is written", async () => {
    const s = await signUp("Prod");
    const assistant = await createAssistant(s.access_token);
    const site = freshSite("production");
    await expect(acceptDocument(production(), s.workspace.id, assistant.id, { kind: "url", url: site.url("/help/shipping") })).rejects.toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(/127\.0\.0\.1:\d+ is a loopback address/),
    });
    expect(await documentRows(assistant.id)).toEqual([]);
  });

  it("is ignored for integrations: saving and connection tests refuse the fake providers", async () => {
    const s = await signUp("ProdIntegrations");
    const scn = scenario("ssrf-production");
    await expect(
      saveIntegration(production(), createDb(env.DB), s.workspace.id, "email", { config: { api_base_url: `${fakeBase(scn)}/sendgrid` } }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    // Saved where the allowance applies, then tested as production would.
    await configure(s.access_token, "email", { config: { api_base_url: `${fakeBase(scn)}/sendgrid` }, secrets: { sendgrid_api_key: CREDS.sendgridApiKey } });
    const result = await testConnection(production(), s.workspace.id, "email");
    expect(result).toMatchObject({ ok: false, provider_status: null, detail: expect.stringContaining("not a public internet address") });
    expect(await providerLog(scn)).toEqual([]);
  });
});
