import { describe, expect, it } from "vitest";
import { call, createSecretKey, signUp } from "./helpers";
import { configure, fakeBase, providerLog, scenario } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

async function setAll(token: string, scn: string, steps = "ok", good = true) {
  await configure(token, "slack", { config: { team_id: CREDS.slackTeamId, api_base_url: `${fakeBase(scn, steps)}/slack/api` }, secrets: { bot_token: good ? CREDS.slackBotToken : "xoxb-revoked" } });
  await configure(token, "whatsapp", {
    config: { account_sid: CREDS.twilioAccountSid, api_base_url: `${fakeBase(scn, steps)}/twilio` },
    secrets: { auth_token: good ? CREDS.twilioAuthToken : "wrong" },
  });
  await configure(token, "email", { config: { api_base_url: `${fakeBase(scn, steps)}/sendgrid` }, secrets: { sendgrid_api_key: good ? CREDS.sendgridApiKey : "SG.wrong" } });
  await configure(token, "zendesk", {
    config: { subdomain: "acme", agent_email: CREDS.zendeskAgentEmail, api_base_url: `${fakeBase(scn, steps)}/zendesk` },
    secrets: { api_token: good ? CREDS.zendeskApiToken : "wrong" },
  });
}

const test = (token: string, type: string) => call("POST", `/api/v1/integrations/${type}/test`, { token });

describe("POST /api/v1/integrations/:type/test", () => {
  it("makes each provider's cheapest authenticated call with the stored credentials", async () => {
    const s = await signUp("Connect");
    const scn = scenario("connect");
    await setAll(s.access_token, scn);
    const results = await Promise.all(["slack", "whatsapp", "email", "zendesk"].map((t) => test(s.access_token, t)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(results.map((r) => r.body.ok)).toEqual([true, true, true, true]);
    expect(results[0]!.body.detail).toContain(CREDS.slackTeamId);
    const paths = (await providerLog(scn)).map((r) => `${r.provider} ${r.method} ${r.path}`).sort();
    expect(paths).toEqual([
      "sendgrid GET /v3/scopes",
      "slack POST /api/auth.test",
      `twilio GET /2010-04-01/Accounts/${CREDS.twilioAccountSid}.json`,
      "zendesk GET /api/v2/users/me.json",
    ]);
    // Secrets never come back, not even in a failure's detail.
    expect(JSON.stringify(results.map((r) => r.body))).not.toMatch(/xoxb-fake|fake-twilio-auth|SG\.fake|fake-zendesk-api/);
  });

  it("says why a connection fails: refused credentials, rate limits, nothing configured", async () => {
    const s = await signUp("Broken");
    const refused = scenario("connect-bad");
    await setAll(s.access_token, refused, "ok", false);
    const bad = await Promise.all(["slack", "whatsapp", "email", "zendesk"].map((t) => test(s.access_token, t)));
    expect(bad.map((r) => r.body.ok)).toEqual([false, false, false, false]);
    expect(bad[0]!.body.detail).toContain("refused the credentials");
    expect(bad[1]!.body).toMatchObject({ provider_status: 401 });
    expect(bad[3]!.body.detail).toContain("did not accept");

    const limited = scenario("connect-429");
    await setAll(s.access_token, limited, "429:30");
    const slow = await test(s.access_token, "email");
    expect(slow.body).toMatchObject({ ok: false, provider_status: 429, retry_after_seconds: 30 });

    const fresh = await signUp("Empty");
    const none = await test(fresh.access_token, "slack");
    expect(none.body).toMatchObject({ ok: false, detail: expect.stringContaining("not configured") });
  });

  it("is for admins only", async () => {
    const s = await signUp("Roles");
    const manager = await createSecretKey(s.access_token, "manager");
    expect((await test(manager.key, "slack")).status).toBe(403);
    expect((await call("POST", "/api/v1/integrations/slack/test")).status).toBe(401);
    expect((await test(s.access_token, "telegram")).status).toBe(404);
  });
});
