import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SENDGRID_MAX_SKEW_SECONDS, verifySendGridSignature } from "./email/signature";
import { slackSignature, verifySlackSignature } from "./slack/signature";
import { toBase64 } from "./webhook-crypto";
import { twilioSignature, verifyTwilioSignature } from "./whatsapp/signature";
import { verifyZendeskSignature, zendeskSignature } from "./zendesk/signature";

/** Calls an oracle of the fake provider server (the providers' own libraries, in Node). */
async function oracle<T>(kind: string, input: unknown): Promise<T> {
  const res = await fetch(`${env.PROVIDERS_FAKE_URL}/_oracle/${kind}`, { method: "POST", body: JSON.stringify(input) });
  if (!res.ok) throw new Error(`oracle ${kind}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe("Slack request signing (v0)", () => {
  // Slack's documented example: https://api.slack.com/authentication/verifying-requests-from-slack
  const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
  const TIMESTAMP = "1531420618";
  const BODY =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
    "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" +
    "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

  it("reproduces Slack's documented sample signature", async () => {
    expect(await slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
    const ok = await verifySlackSignature({ signingSecret: SECRET, timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY, nowSeconds: 1531420618 + 60 });
    expect(ok).toEqual({ ok: true });
  });

  it("agrees with an independent HMAC over the same base string", async () => {
    const body = JSON.stringify({ type: "event_callback", event: { text: "héllo ✓" } });
    const { digest } = await oracle<{ digest: string }>("hmac", { algorithm: "sha256", key: "s3cret", data: `v0:1700000000:${body}`, encoding: "hex" });
    expect(await slackSignature("s3cret", "1700000000", body)).toBe(`v0=${digest}`);
  });

  it("refuses a forged signature, a missing one, and timestamps outside 5 minutes either way", async () => {
    const base = { signingSecret: SECRET, timestamp: TIMESTAMP, rawBody: BODY };
    const now = 1531420618;
    expect(await verifySlackSignature({ ...base, signature: SIGNATURE.replace(/.$/, "0"), nowSeconds: now })).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySlackSignature({ ...base, rawBody: `${BODY}&x=1`, signature: SIGNATURE, nowSeconds: now })).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySlackSignature({ ...base, signature: null, nowSeconds: now })).toEqual({ ok: false, reason: "missing" });
    expect(await verifySlackSignature({ ...base, signature: SIGNATURE, nowSeconds: now + 301 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifySlackSignature({ ...base, signature: SIGNATURE, nowSeconds: now - 301 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifySlackSignature({ ...base, signature: SIGNATURE, nowSeconds: now + 300 })).toEqual({ ok: true });
  });
});

describe("Twilio request validation (X-Twilio-Signature)", () => {
  // Twilio's documented example: https://www.twilio.com/docs/usage/webhooks/webhooks-security
  const AUTH_TOKEN = "12345";
  const URL_ = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const PARAMS: [string, string][] = [
    ["CallSid", "CA1234567890ABCDE"],
    ["Caller", "+12349013030"],
    ["Digits", "1234"],
    ["From", "+12349013030"],
    ["To", "+18005551212"],
  ];

  it("reproduces Twilio's documented sample signature", async () => {
    expect(await twilioSignature(AUTH_TOKEN, URL_, PARAMS)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    expect(await verifyTwilioSignature({ authToken: AUTH_TOKEN, url: URL_, params: PARAMS, signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" })).toEqual({ ok: true });
  });

  it("matches twilio's own validateRequest on a WhatsApp message, in both directions", async () => {
    const url = "https://desk.example.com/webhooks/whatsapp?ws=ws_abcdefgh12345678";
    const params: [string, string][] = [
      ["SmsMessageSid", "SM0123"],
      ["Body", "Où est ma commande ? 📦 & more"],
      ["From", "whatsapp:+14155550100"],
      ["To", "whatsapp:+14155238886"],
      ["NumMedia", "0"],
      ["MessageSid", "SM0123"],
      ["AccountSid", "AC0001"],
    ];
    const ours = await twilioSignature("tw-token", url, params);
    const theirs = await oracle<{ signature: string; valid: boolean }>("twilio-signature", { auth_token: "tw-token", url, params, signature: ours });
    expect(ours).toBe(theirs.signature);
    expect(theirs.valid).toBe(true);
    // The port spelling Twilio may add is accepted, as twilio's library does.
    const withPort = "https://desk.example.com:443/webhooks/whatsapp?ws=ws_abcdefgh12345678";
    const portSigned = (await oracle<{ signature: string }>("twilio-signature", { auth_token: "tw-token", url: withPort, params })).signature;
    expect(await verifyTwilioSignature({ authToken: "tw-token", url, params, signature: portSigned })).toEqual({ ok: true });
  });

  it("refuses a forged signature, another URL, a changed parameter and a missing header", async () => {
    const good = await twilioSignature(AUTH_TOKEN, URL_, PARAMS);
    expect(await verifyTwilioSignature({ authToken: "other", url: URL_, params: PARAMS, signature: good })).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifyTwilioSignature({ authToken: AUTH_TOKEN, url: `${URL_}&x=1`, params: PARAMS, signature: good })).toMatchObject({ ok: false });
    const tampered: [string, string][] = PARAMS.map(([k, v]) => [k, k === "Digits" ? "9999" : v]);
    expect(await verifyTwilioSignature({ authToken: AUTH_TOKEN, url: URL_, params: tampered, signature: good })).toMatchObject({ ok: false });
    expect(await verifyTwilioSignature({ authToken: AUTH_TOKEN, url: URL_, params: PARAMS, signature: undefined })).toEqual({ ok: false, reason: "missing" });
  });
});

describe("Zendesk webhook signing", () => {
  it("is base64 HMAC-SHA256 of timestamp + body, as an independent implementation computes it", async () => {
    const ts = "2026-11-26T10:00:00Z";
    const body = JSON.stringify({ ticket_id: "42", status: "solved" });
    const secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="; // Zendesk's documented test signing secret
    const { digest } = await oracle<{ digest: string }>("hmac", { algorithm: "sha256", key: secret, data: ts + body, encoding: "base64" });
    expect(await zendeskSignature(secret, ts, body)).toBe(digest);
    const now = Date.parse(ts) / 1000;
    expect(await verifyZendeskSignature({ secret, timestamp: ts, signature: digest, rawBody: body, nowSeconds: now + 10 })).toEqual({ ok: true });
    expect(await verifyZendeskSignature({ secret, timestamp: ts, signature: digest, rawBody: body, nowSeconds: now + 400 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifyZendeskSignature({ secret: "other", timestamp: ts, signature: digest, rawBody: body, nowSeconds: now })).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifyZendeskSignature({ secret, timestamp: null, signature: digest, rawBody: body, nowSeconds: now })).toEqual({ ok: false, reason: "missing" });
  });
});

describe("SendGrid signed webhooks (ECDSA P-256)", () => {
  // The sample in SendGrid's own library (@sendgrid/eventwebhook's spec).
  const PUBLIC_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
  const SIGNATURE = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
  const TIMESTAMP = "1600112502";
  const PAYLOAD =
    JSON.stringify([
      {
        email: "hello@world.com",
        event: "dropped",
        reason: "Bounced Address",
        sg_event_id: "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
        sg_message_id: "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
        timestamp: 1600112492,
      },
    ]) + "\r\n";

  it("verifies SendGrid's published sample and refuses it altered", async () => {
    const base = { publicKey: PUBLIC_KEY, timestamp: TIMESTAMP, signature: SIGNATURE, nowSeconds: null };
    expect(await verifySendGridSignature({ ...base, rawBody: PAYLOAD })).toEqual({ ok: true });
    expect(await verifySendGridSignature({ ...base, rawBody: PAYLOAD.replace("dropped", "opened") })).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySendGridSignature({ ...base, timestamp: "1600112503", rawBody: PAYLOAD })).toEqual({ ok: false, reason: "mismatch" });
  });

  it("accepts what SendGrid's signer produces over a multipart body, and refuses stale timestamps", async () => {
    const body = new TextEncoder().encode('--xYzZY\r\nContent-Disposition: form-data; name="subject"\r\n\r\nHéllo\r\n--xYzZY--\r\n');
    const now = Math.floor(Date.now() / 1000);
    const signed = await oracle<{ signature: string; public_key: string; valid: boolean }>("sendgrid-sign", {
      payload_base64: toBase64(body),
      timestamp: now,
    });
    expect(signed.valid).toBe(true); // SendGrid's library accepts its own signature
    const check = { publicKey: signed.public_key, timestamp: String(now), signature: signed.signature, rawBody: body };
    expect(await verifySendGridSignature(check)).toEqual({ ok: true });
    expect(await verifySendGridSignature({ ...check, nowSeconds: now + SENDGRID_MAX_SKEW_SECONDS + 1 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifySendGridSignature({ ...check, signature: "bm90IGEgc2lnbmF0dXJl" })).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySendGridSignature({ ...check, publicKey: "not a key" })).toEqual({ ok: false, reason: "not_configured" });
  });
});
