import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createAssistant, createSecretKey, PASSWORD, signUp, uniqueEmail } from "./helpers";
import { deliver, signatureFor, TEST_STRIPE_KEY } from "./stripe-events";
import { newSubscriptionId, stripeEvent, subscriptionObject } from "./stripe-fixtures";

const DAY_MS = 86_400_000;
const past = () => new Date(Date.now() - 1_000).toISOString();

afterEach(() => {
  vi.restoreAllMocks();
  delete env.STRIPE_SECRET_KEY;
});

describe("API key hygiene", () => {
  it("secret keys expire after 90 days by default, and an expired key stops working", async () => {
    const s = await signUp("Expiry");
    const key = await createSecretKey(s.access_token, "viewer");
    expect(Math.abs(Date.parse(key.expires_at as string) - (Date.now() + 90 * DAY_MS))).toBeLessThan(60_000);
    const short = await call("POST", "/api/v1/api-keys", { token: s.access_token, body: { name: "short", scope: "viewer", expires_in_days: 7 } });
    expect(Math.abs(Date.parse(short.body.expires_at) - (Date.now() + 7 * DAY_MS))).toBeLessThan(60_000);
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
    await env.DB.prepare("update api_keys set expires_at = ? where id = ?").bind(past(), key.id).run();
    const expired = await call("GET", "/api/v1/assistants", { token: key.key });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe("unauthorized");
  });

  it("rotation keeps the old key working for the overlap window only", async () => {
    const s = await signUp("Rotation");
    const key = await createSecretKey(s.access_token, "viewer");
    const rotated = await call("POST", `/api/v1/api-keys/${key.id}/rotate`, { token: s.access_token, body: { overlap_seconds: 3_600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).toMatch(/^sk_live_/);
    expect(rotated.body.key).not.toBe(key.key);
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200); // in the overlap
    expect((await call("GET", "/api/v1/assistants", { token: rotated.body.key })).status).toBe(200);
    await env.DB.prepare("update api_keys set previous_expires_at = ? where id = ?").bind(past(), key.id).run();
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(401); // overlap over
    expect((await call("GET", "/api/v1/assistants", { token: rotated.body.key })).status).toBe(200);

    // Without an overlap the old key dies at once.
    const again = await call("POST", `/api/v1/api-keys/${key.id}/rotate`, { token: s.access_token, body: {} });
    expect((await call("GET", "/api/v1/assistants", { token: rotated.body.key })).status).toBe(401);
    expect((await call("GET", "/api/v1/assistants", { token: again.body.key })).status).toBe(200);
  });

  it("records when a key was last used, and a revocation takes effect on the very next call", async () => {
    const s = await signUp("Revoke");
    const key = await createSecretKey(s.access_token, "viewer");
    expect(key.last_used_at).toBeNull();
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
    await expect
      .poll(async () => (await call("GET", "/api/v1/api-keys", { token: s.access_token })).body.data.find((k: { id: string }) => k.id === key.id).last_used_at, { timeout: 3_000 })
      .toMatch(/^\d{4}-/);
    const revoked = await call("DELETE", `/api/v1/api-keys/${key.id}`, { token: s.access_token });
    expect(revoked.body.revoked_at).toBeTruthy();
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(401);
  });
});

describe("integration secrets", () => {
  it("are stored encrypted, never in plaintext, and never returned", async () => {
    const s = await signUp("Secrets");
    const botToken = `xoxb-${Date.now()}-plaintextMustNotBeStored`;
    const signingSecret = `signing-${Math.random().toString(36).slice(2)}-secret`;
    const put = await call("PUT", "/api/v1/integrations/slack", {
      token: s.access_token,
      body: { enabled: true, config: { team_id: "T123" }, secrets: { bot_token: botToken, signing_secret: signingSecret } },
    });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain(botToken);
    const row = await env.DB.prepare("select * from integrations where workspace_id = ? and type = 'slack'").bind(s.workspace.id).first<Record<string, unknown>>();
    expect(row).toBeTruthy();
    expect(row!.secrets_ciphertext).toEqual(expect.any(String));
    const stored = JSON.stringify(row);
    for (const secret of [botToken, signingSecret, btoa(botToken), encodeURIComponent(botToken)]) expect(stored).not.toContain(secret);
    const read = await call("GET", "/api/v1/integrations/slack", { token: s.access_token });
    expect(JSON.stringify(read.body)).not.toContain(botToken);
    expect(read.body.secrets_set).toEqual(expect.arrayContaining(["bot_token", "signing_secret"]));
  });
});

describe("no secret is ever logged", () => {
  it("a full run — sign-up, sessions, keys, a conversation, integrations, billing, a Stripe webhook, failures — logs none of its secrets", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a) ?? String(a))).join(" "));
    };
    for (const level of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, level).mockImplementation(capture);
    env.STRIPE_SECRET_KEY = TEST_STRIPE_KEY;
    const secrets: string[] = [PASSWORD, TEST_STRIPE_KEY, env.STRIPE_WEBHOOK_SECRET!, env.JWT_SECRET!];

    // Sign-up, sign-in (good and bad), refresh, password change.
    const email = uniqueEmail("logs");
    const signup = await call("POST", "/api/v1/workspaces", { body: { workspace_name: "Logs", email, password: PASSWORD } });
    const token = signup.body.access_token as string;
    secrets.push(token, signup.body.refresh_token);
    const wrongPassword = "Wrong-horse-battery-staple-42";
    secrets.push(wrongPassword);
    expect((await call("POST", "/api/v1/auth/login", { body: { email, password: wrongPassword } })).status).toBe(401);
    const login = await call("POST", "/api/v1/auth/login", { body: { email, password: PASSWORD } });
    secrets.push(login.body.access_token, login.body.refresh_token);
    const refreshed = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } });
    secrets.push(refreshed.body.access_token, refreshed.body.refresh_token);
    // Reusing a spent refresh token is an attack the server notices (and logs, without the token).
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } })).status).toBe(401);
    const newPassword = "An0ther-correct-horse-battery";
    secrets.push(newPassword);
    expect((await call("POST", "/api/v1/auth/password", { token, body: { current_password: PASSWORD, new_password: newPassword } })).status).toBe(204);
    const relogin = await call("POST", "/api/v1/auth/login", { body: { email, password: newPassword } });
    const admin = relogin.body.access_token as string;
    secrets.push(admin, relogin.body.refresh_token);

    // Keys: secret and publishable, rotated, revoked, and a forged one presented.
    const assistant = await createAssistant(admin, { allowed_origins: ["https://shop.example"] });
    const sk = await createSecretKey(admin, "manager");
    const rotated = await call("POST", `/api/v1/api-keys/${sk.id}/rotate`, { token: admin, body: { overlap_seconds: 60 } });
    const pk = await call("POST", "/api/v1/api-keys", { token: admin, body: { name: "w", type: "publishable", assistant_id: assistant.id } });
    secrets.push(sk.key, rotated.body.key, pk.body.key);
    const forged = `sk_live_${"A".repeat(32)}`;
    secrets.push(forged);
    expect((await call("GET", "/api/v1/assistants", { token: forged })).status).toBe(401);
    expect((await call("GET", "/api/v1/assistants", { token: "Bearer-garbage" })).status).toBe(401);

    // A conversation from the widget, with its token, a message and the WebSocket token route.
    const conv = await call("POST", "/api/v1/conversations", {
      token: pk.body.key,
      headers: { origin: "https://shop.example" },
      body: { assistant_id: assistant.id, visitor_id: "log-visitor", initial_message: "Where is my parcel?" },
    });
    expect(conv.status).toBe(201);
    secrets.push(conv.body.token);
    await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/messages`, { token: conv.body.token, body: { content: "Hello?" } });
    const agent = await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/token`, { token: rotated.body.key, body: {} });
    secrets.push(agent.body.token);
    // A token in the query string must not reach the access log either.
    await call("GET", `/api/v1/conversations/${conv.body.conversation_id}/ws?token=${encodeURIComponent(conv.body.token)}`);
    expect((await call("POST", "/api/v1/api-keys/key_doesnotexist00/rotate", { token: rotated.body.key, body: {} })).status).toBe(403);

    // Integrations: secrets written, then read back.
    const slackToken = `xoxb-log-${Date.now()}`;
    const zendeskToken = `zd-${Math.random().toString(36).slice(2)}-token`;
    secrets.push(slackToken, zendeskToken);
    await call("PUT", "/api/v1/integrations/slack", { token: admin, body: { config: {}, secrets: { bot_token: slackToken, signing_secret: "s3cret-signing-value" } } });
    await call("PUT", "/api/v1/integrations/zendesk", { token: admin, body: { config: { subdomain: "acme" }, secrets: { api_token: zendeskToken } } });
    secrets.push("s3cret-signing-value");
    await call("GET", "/api/v1/integrations", { token: admin });

    // Billing and a Stripe webhook: good, forged and stale.
    await call("POST", "/api/v1/billing/checkout", { token: admin, body: { plan: "pro" } });
    const customer = (await env.DB.prepare("select stripe_customer_id as c from workspaces where id = ?").bind(signup.body.workspace.id).first<{ c: string }>())!.c;
    const event = stripeEvent("customer.subscription.created", subscriptionObject({ id: newSubscriptionId(), customer, workspaceId: signup.body.workspace.id, price: "price_test_pro", status: "active" }));
    const header = signatureFor(JSON.stringify(event));
    secrets.push(header.split(",v1=")[1]!);
    expect((await deliver(event, { signature: header })).status).toBe(200);
    expect((await deliver(event, { secret: "whsec_forged_secret_value" })).status).toBe(401);
    secrets.push("whsec_forged_secret_value");
    expect((await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 1_000 })).status).toBe(401);

    // Let background work (queues, outbox, last-used writes) log what it logs.
    await new Promise((r) => setTimeout(r, 1_500));
    vi.restoreAllMocks();

    expect(lines.length).toBeGreaterThan(20); // the run did log: the check below is not vacuous
    const log = lines.join("\n");
    for (const secret of secrets.filter((x) => typeof x === "string" && x.length >= 8)) {
      expect(log.includes(secret), `a secret (${secret.slice(0, 6)}…) appears in the logs`).toBe(false);
    }
    // Nor anything shaped like one.
    expect(log).not.toMatch(/\b(sk|pk)_live_[0-9A-Za-z]{8,}/);
    expect(log).not.toMatch(/\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/);
    expect(log).not.toMatch(/whsec_[\w]{8,}/);
  });
});
