import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { open, parseKeyRing, seal } from "../src/auth/secret-box";
import { integrationCredentials } from "../src/channels/integrations";
import { createDb } from "../src/storage/db";
import { call, createSecretKey, signUp } from "./helpers";

const KEY_A = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const KEY_B = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));

describe("secret box", () => {
  it("seals with the newest key and still opens values sealed with an older one", async () => {
    const old = { ENCRYPTION_KEYS: `k1:${KEY_A}`, ENVIRONMENT: "development" };
    const rotated = { ENCRYPTION_KEYS: `k2:${KEY_B},k1:${KEY_A}`, ENVIRONMENT: "development" };
    const sealed = await seal(old, "xoxb-secret", "ctx");
    expect(sealed.keyId).toBe("k1");
    expect(sealed.ciphertext).not.toContain("xoxb");
    expect(await open(rotated, sealed, "ctx")).toBe("xoxb-secret");
    expect((await seal(rotated, "v", "ctx")).keyId).toBe("k2");
  });

  it("refuses a ciphertext moved to another record, or tampered with", async () => {
    const keys = { ENCRYPTION_KEYS: `k1:${KEY_A}`, ENVIRONMENT: "development" };
    const sealed = await seal(keys, "secret", "integration:ws_a:slack");
    await expect(open(keys, sealed, "integration:ws_b:slack")).rejects.toThrow();
    const flipped = sealed.ciphertext.slice(0, -2) + (sealed.ciphertext.endsWith("A") ? "BB" : "AA");
    await expect(open(keys, { ...sealed, ciphertext: flipped }, "integration:ws_a:slack")).rejects.toThrow();
  });

  it("has no stand-in key in any environment, and checks the key ring's format", async () => {
    for (const missing of [undefined, "", "  "]) {
      await expect(seal({ ENCRYPTION_KEYS: missing }, "x", "c")).rejects.toMatchObject({ code: "misconfigured", status: 503 });
    }
    await expect(seal({ ENCRYPTION_KEYS: "nokey" }, "x", "c")).rejects.toThrow(/ENCRYPTION_KEYS is invalid/);
    expect(() => parseKeyRing("nokey")).toThrow(/id:base64key/);
    expect(() => parseKeyRing(`k1:${btoa("short")}`)).toThrow(/32 bytes/);
    expect(() => parseKeyRing(`k1:${KEY_A},k1:${KEY_B}`)).toThrow(/repeats/);
  });
});

describe("integrations API", () => {
  it("stores settings in the clear and secrets encrypted, never returning them", async () => {
    const s = await signUp("Integrations");
    const empty = await call("GET", "/api/v1/integrations/slack", { token: s.access_token });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ type: "slack", configured: false, enabled: false, secrets_set: [], secret_fields: ["bot_token", "signing_secret"] });

    const put = await call("PUT", "/api/v1/integrations/slack", {
      token: s.access_token,
      body: { config: { team_id: "T012", escalation_channel: "C0999" }, secrets: { bot_token: "xoxb-very-secret", signing_secret: "sign-me" } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ configured: true, enabled: true, config: { team_id: "T012", escalation_channel: "C0999" }, secrets_set: ["bot_token", "signing_secret"] });
    expect(JSON.stringify(put.body)).not.toContain("xoxb-very-secret");

    const got = await call("GET", "/api/v1/integrations/slack", { token: s.access_token });
    expect(JSON.stringify(got.body)).not.toContain("xoxb-very-secret");
    expect(got.body.secrets_set).toEqual(["bot_token", "signing_secret"]);

    const row = await env.DB.prepare("select * from integrations where workspace_id = ?").bind(s.workspace.id).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain("xoxb-very-secret");
    expect(row!.secrets_key_id).toBeTruthy();

    // Secrets not named are kept; null clears one; config replaces.
    const update = await call("PUT", "/api/v1/integrations/slack", {
      token: s.access_token,
      body: { enabled: false, config: { team_id: "T013" }, secrets: { signing_secret: null } },
    });
    expect(update.body).toMatchObject({ enabled: false, config: { team_id: "T013" }, secrets_set: ["bot_token"] });
    await call("PUT", "/api/v1/integrations/slack", { token: s.access_token, body: { enabled: true, config: { team_id: "T013" } } });
    const creds = await integrationCredentials(env, createDb(env.DB), s.workspace.id, "slack");
    expect(creds).toEqual({ config: { team_id: "T013" }, secrets: { bot_token: "xoxb-very-secret" } });

    const audit = await call("GET", "/api/v1/audit-logs", { token: s.access_token });
    const entries = audit.body.data.filter((a: { action: string }) => a.action === "integration.updated");
    expect(entries).toHaveLength(3);
    expect(entries.at(-1).metadata).toMatchObject({ type: "slack", secrets_changed: ["bot_token", "signing_secret"] });
    expect(JSON.stringify(audit.body)).not.toContain("xoxb-very-secret");
  });

  it("lists every type, and validates each type's own fields", async () => {
    const s = await signUp("Integrations");
    const list = await call("GET", "/api/v1/integrations", { token: s.access_token });
    expect(list.body.data.map((i: { type: string }) => i.type)).toEqual(["slack", "whatsapp", "email", "zendesk", "hubspot", "stripe", "notion"]);

    const unknownField = await call("PUT", "/api/v1/integrations/zendesk", { token: s.access_token, body: { config: { bogus: 1 } } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.details.issues[0].path[0]).toBe("config");
    const badSecret = await call("PUT", "/api/v1/integrations/stripe", { token: s.access_token, body: { config: {}, secrets: { bot_token: "x" } } });
    expect(badSecret.status).toBe(400);
    const badEmail = await call("PUT", "/api/v1/integrations/email", { token: s.access_token, body: { config: { from_address: "nope" } } });
    expect(badEmail.status).toBe(400);
    expect((await call("GET", "/api/v1/integrations/telegram", { token: s.access_token })).status).toBe(404);

    const ok = await call("PUT", "/api/v1/integrations/whatsapp", {
      token: s.access_token,
      body: { config: { account_sid: "AC123", from_number: "whatsapp:+14155238886" }, secrets: { auth_token: "tw-secret" } },
    });
    expect(ok.status).toBe(200);
  });

  it("is for admins only, and each workspace sees its own", async () => {
    const a = await signUp("Alpha");
    const b = await signUp("Beta");
    await call("PUT", "/api/v1/integrations/zendesk", { token: b.access_token, body: { config: { subdomain: "beta" }, secrets: { api_token: "zd" } } });
    const aView = await call("GET", "/api/v1/integrations/zendesk", { token: a.access_token });
    expect(aView.body.configured).toBe(false);

    const manager = await createSecretKey(a.access_token, "manager");
    expect((await call("GET", "/api/v1/integrations", { token: manager.key })).status).toBe(403);
    expect((await call("GET", "/api/v1/integrations/slack", { token: manager.key })).status).toBe(403);
    expect((await call("PUT", "/api/v1/integrations/slack", { token: manager.key, body: { config: {} } })).status).toBe(403);
  });
});
