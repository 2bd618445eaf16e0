import { createHash, createHmac, generateKeyPairSync, sign as signData, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sendgridWebhook from "@sendgrid/eventwebhook";
import twilio from "twilio";
import { header, listenLocally, nextStep, readBody, type RunningFake } from "./fake-http";
import { FAKE_PROVIDER_CREDENTIALS as CREDS, type ProviderRequest } from "./providers-fixtures";

/**
 * A local stand-in for the Slack Web API, Twilio's REST API, SendGrid v3 and the Zendesk
 * Support API, speaking their wire formats (auth headers, bodies, error shapes, 429 with
 * `Retry-After`), plus signature oracles computed with the providers' own libraries.
 *
 * Each API request names a scenario and a script in its path, so one test's base URLs are
 *   `<url>/<scenario>/<steps>/slack/api`, `…/twilio`, `…/sendgrid`, `…/zendesk`.
 * `<steps>` is a comma-separated list played per (scenario, provider): the n-th call plays step
 * n, the last step repeats. Steps: `ok`, `500`, `503`, `401`, `429` or `429:<retry-after>`, and
 * `redirect-localhost` (a 307 to the same request on `localhost`, which clients must refuse).
 * `GET /<scenario>/log` returns every request the scenario made.
 *
 * Oracles (POST, JSON in and out):
 *   /_oracle/twilio-signature  {auth_token, url, params}       → {signature, valid?}  (twilio library)
 *   /_oracle/sendgrid-sign     {payload, timestamp}            → {signature, public_key, valid} (Node crypto, checked by @sendgrid/eventwebhook)
 *   /_oracle/sendgrid-verify   {public_key, payload, signature, timestamp} → {valid}  (@sendgrid/eventwebhook)
 *   /_oracle/hmac              {algorithm, key, data, encoding} → {digest}            (Node crypto)
 */

/** A running fake. */
export type FakeProvidersServer = RunningFake;

type Provider = ProviderRequest["provider"];

/** A 1×1 transparent PNG: what the fake serves as a WhatsApp photo. */
const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === null) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

function basicCredentials(req: IncomingMessage): [string, string] | null {
  const match = /^Basic\s+(\S+)$/i.exec(header(req, "authorization") ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** Error bodies in each provider's own shape. */
function providerError(provider: Provider, status: number): unknown {
  switch (provider) {
    case "slack":
      return { ok: false, error: status === 429 ? "ratelimited" : status === 401 ? "invalid_auth" : "internal_error" };
    case "twilio":
      return {
        code: status === 429 ? 20429 : status === 401 ? 20003 : 20500,
        message: status === 429 ? "Too Many Requests" : status === 401 ? "Authenticate" : "An internal server error has occurred",
        more_info: `https://www.twilio.com/docs/errors/${status === 429 ? 20429 : status === 401 ? 20003 : 20500}`,
        status,
      };
    case "sendgrid":
      return { errors: [{ message: status === 429 ? "too many requests" : status === 401 ? "The provided authorization grant is invalid, expired, or revoked" : "internal error", field: null, help: null }] };
    case "zendesk":
      return status === 429
        ? { error: "APIRateLimitExceeded", description: "Number of allowed API requests per minute exceeded" }
        : status === 401
          ? { error: "Couldn't authenticate you" }
          : { error: "InternalError", description: "Something went wrong" };
  }
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeProvidersServer(): Promise<FakeProvidersServer> {
  const counters = new Map<string, number>();
  const logs = new Map<string, ProviderRequest[]>();
  const ticketIds = { next: 4_001 };
  const sendgridKeys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const sendgridPublicKey = (sendgridKeys.publicKey as KeyObject).export({ type: "spki", format: "der" }).toString("base64");

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(err) });
      else res.end();
    });
  });

  async function oracle(kind: string, input: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const ew = new sendgridWebhook.EventWebhook();
    switch (kind) {
      case "twilio-signature": {
        const params = Object.fromEntries((input.params as [string, string][]) ?? []);
        const signature = twilio.getExpectedTwilioSignature(input.auth_token as string, input.url as string, params);
        const valid =
          typeof input.signature === "string"
            ? twilio.validateRequest(input.auth_token as string, input.signature, input.url as string, params)
            : undefined;
        send(res, 200, { signature, valid });
        return;
      }
      case "sendgrid-sign": {
        const payload = Buffer.from(input.payload_base64 as string, "base64");
        const timestamp = String(input.timestamp);
        const signature = signData("sha256", Buffer.concat([Buffer.from(timestamp), payload]), {
          key: sendgridKeys.privateKey,
          dsaEncoding: "der",
        }).toString("base64");
        const pem = `-----BEGIN PUBLIC KEY-----\n${sendgridPublicKey}\n-----END PUBLIC KEY-----`;
        const valid = ew.verifySignature(ew.convertPublicKeyToECDSA(pem), payload, signature, timestamp);
        send(res, 200, { signature, public_key: sendgridPublicKey, valid });
        return;
      }
      case "sendgrid-verify": {
        const pem = `-----BEGIN PUBLIC KEY-----\n${input.public_key as string}\n-----END PUBLIC KEY-----`;
        const valid = ew.verifySignature(ew.convertPublicKeyToECDSA(pem), input.payload as string, input.signature as string, String(input.timestamp));
        send(res, 200, { valid });
        return;
      }
      case "hmac": {
        const digest = createHmac(input.algorithm as string, input.key as string)
          .update(input.data as string)
          .digest(input.encoding as "hex" | "base64");
        send(res, 200, { digest });
        return;
      }
      default:
        send(res, 404, { error: `no oracle ${kind}` });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const parts = url.pathname.split("/").filter(Boolean);
    const raw = await readBody(req);

    if (parts[0] === "_oracle" && parts[1] && req.method === "POST") {
      await oracle(parts[1], JSON.parse(raw.toString("utf8") || "{}") as Record<string, unknown>, res);
      return;
    }
    const [scenario, steps, providerName, ...rest] = parts;
    if (req.method === "GET" && scenario && steps === "log" && parts.length === 2) {
      send(res, 200, logs.get(scenario) ?? []);
      return;
    }
    const provider = (["slack", "twilio", "sendgrid", "zendesk"] as const).find((p) => p === providerName);
    if (!scenario || !steps || !provider) {
      send(res, 404, { error: `no route ${url.pathname}` });
      return;
    }
    const path = `/${rest.join("/")}`;

    // Media downloads are files, not API calls: no script step, but the account's auth.
    if (provider === "twilio" && req.method === "GET" && path.startsWith("/media/")) {
      const creds = basicCredentials(req);
      if (!creds || creds[0] !== CREDS.twilioAccountSid || creds[1] !== CREDS.twilioAuthToken) {
        send(res, 401, providerError("twilio", 401));
        return;
      }
      const audio = path.endsWith(".ogg");
      res.writeHead(200, { "content-type": audio ? "audio/ogg" : "image/png" });
      res.end(audio ? Buffer.from("OggS\u0000fake audio") : PNG_1X1);
      return;
    }

    const step = nextStep(counters, `${scenario}/${provider}`, steps);
    const contentType = header(req, "content-type") ?? "";
    const text = raw.toString("utf8");
    const body: unknown = contentType.includes("application/x-www-form-urlencoded")
      ? Object.fromEntries(new URLSearchParams(text))
      : text
        ? (JSON.parse(text) as unknown)
        : null;
    const record: ProviderRequest = {
      provider,
      method: req.method ?? "GET",
      path,
      step,
      status: 0,
      headers: { authorization: header(req, "authorization"), "content-type": contentType || undefined },
      body,
    };
    logs.set(scenario, [...(logs.get(scenario) ?? []), record]);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      send(res, status, payload, headers);
    };

    const [name, arg] = step.split(":");
    if (name === "redirect-localhost") {
      // This very server under another name: a client that follows the redirect unchecked shows up twice in the log.
      const { port } = server.address() as AddressInfo;
      reply(307, null, { location: `http://localhost:${port}/${scenario}/ok/${provider}${path}` });
      return;
    }
    const scripted = Number(name);
    if (Number.isInteger(scripted) && scripted >= 400) {
      reply(scripted, providerError(provider, scripted), arg !== undefined ? { "retry-after": arg } : {});
      return;
    }

    switch (provider) {
      case "slack":
        return slack(req, path, body as Record<string, unknown> | null, reply);
      case "twilio":
        return twilioApi(req, path, body as Record<string, string> | null, reply);
      case "sendgrid":
        return sendgrid(req, path, body as Record<string, unknown> | null, reply);
      case "zendesk":
        return zendesk(req, path, body as Record<string, unknown> | null, reply, ticketIds);
    }
  }

  return listenLocally(server);
}

type Reply = (status: number, payload: unknown, headers?: Record<string, string>) => void;

/** Slack Web API: Bearer bot token, JSON in, `{ok}` out (HTTP 200 even for errors). */
function slack(req: IncomingMessage, path: string, body: Record<string, unknown> | null, reply: Reply): void {
  if (header(req, "authorization") !== `Bearer ${CREDS.slackBotToken}`) {
    reply(200, { ok: false, error: header(req, "authorization") ? "invalid_auth" : "not_authed" });
    return;
  }
  if (path === "/api/auth.test") {
    reply(200, { ok: true, url: "https://fake.slack.com/", team: "Fake Team", user: "edgedesk", team_id: CREDS.slackTeamId, user_id: CREDS.slackBotUserId, bot_id: "B0FAKEBOT" });
    return;
  }
  if (path === "/api/chat.postMessage" && req.method === "POST") {
    if (!(header(req, "content-type") ?? "").startsWith("application/json")) {
      reply(200, { ok: false, error: "invalid_form_data" });
      return;
    }
    if (typeof body?.channel !== "string" || !body.channel) {
      reply(200, { ok: false, error: "channel_not_found" });
      return;
    }
    if ((typeof body.text !== "string" || !body.text) && !Array.isArray(body.blocks)) {
      reply(200, { ok: false, error: "no_text" });
      return;
    }
    const ts = `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
    reply(200, { ok: true, channel: body.channel, ts, message: { type: "message", text: body.text, ts, thread_ts: body.thread_ts } });
    return;
  }
  reply(200, { ok: false, error: "unknown_method" });
}

/** Twilio REST: Basic auth with AccountSid:AuthToken, form bodies, `/2010-04-01/Accounts/{sid}/…`. */
function twilioApi(req: IncomingMessage, path: string, body: Record<string, string> | null, reply: Reply): void {
  const match = /^\/2010-04-01\/Accounts\/([^/]+?)(\.json|\/Messages\.json)$/.exec(path);
  const creds = basicCredentials(req);
  if (!match || !creds || creds[0] !== match[1] || creds[0] !== CREDS.twilioAccountSid || creds[1] !== CREDS.twilioAuthToken) {
    reply(401, providerError("twilio", 401));
    return;
  }
  if (match[2] === ".json") {
    reply(200, { sid: CREDS.twilioAccountSid, friendly_name: "Fake Account", status: "active", type: "Full" });
    return;
  }
  if (req.method !== "POST" || !body?.To || !body.From || !body.Body) {
    reply(400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
    return;
  }
  if (body.Body.length > 1_600) {
    reply(400, { code: 21617, message: "The concatenated message body exceeds the 1600 character limit.", status: 400 });
    return;
  }
  const sid = `SM${createHash("sha256").update(`${Date.now()}${Math.random()}`).digest("hex").slice(0, 32)}`;
  reply(201, { sid, account_sid: CREDS.twilioAccountSid, to: body.To, from: body.From, body: body.Body, status: "queued", num_segments: "1" });
}

/** SendGrid v3: Bearer API key, JSON, mail send answers 202 with `X-Message-Id`. */
function sendgrid(req: IncomingMessage, path: string, body: Record<string, unknown> | null, reply: Reply): void {
  if (header(req, "authorization") !== `Bearer ${CREDS.sendgridApiKey}`) {
    reply(401, providerError("sendgrid", 401));
    return;
  }
  if (path === "/v3/scopes") {
    reply(200, { scopes: ["mail.send", "user.profile.read"] });
    return;
  }
  if (path === "/v3/mail/send" && req.method === "POST") {
    const p = (body?.personalizations as { to?: { email?: string }[] }[] | undefined)?.[0];
    const content = body?.content as { type?: string; value?: string }[] | undefined;
    const errors: { message: string; field: string }[] = [];
    if (!p?.to?.[0]?.email) errors.push({ message: "The to array is required for all personalization objects", field: "personalizations.0.to" });
    if (!(body?.from as { email?: string } | undefined)?.email) errors.push({ message: "The from object must be provided for every email send.", field: "from" });
    if (typeof body?.subject !== "string" || !body.subject) errors.push({ message: "The subject is required.", field: "subject" });
    if (!content?.[0]?.value) errors.push({ message: "The content value must be a string at least one character in length.", field: "content.0.value" });
    if (errors.length > 0) {
      reply(400, { errors });
      return;
    }
    reply(202, null, { "x-message-id": `fake-${Date.now()}` });
    return;
  }
  reply(404, { errors: [{ message: "not found" }] });
}

/** Zendesk Support: Basic `{email}/token:{api_token}`, JSON, tickets created with 201. */
function zendesk(req: IncomingMessage, path: string, body: Record<string, unknown> | null, reply: Reply, ids: { next: number }): void {
  const creds = basicCredentials(req);
  const authed = creds?.[0] === `${CREDS.zendeskAgentEmail}/token` && creds[1] === CREDS.zendeskApiToken;
  if (path === "/api/v2/users/me.json") {
    // Zendesk answers wrong credentials here with the anonymous user, not a 401.
    reply(200, { user: authed ? { id: CREDS.zendeskUserId, email: CREDS.zendeskAgentEmail, role: "admin" } : { id: null, email: null, role: "end-user" } });
    return;
  }
  if (!authed) {
    reply(401, providerError("zendesk", 401));
    return;
  }
  if (path === "/api/v2/tickets.json" && req.method === "POST") {
    const ticket = body?.ticket as { comment?: { body?: string }; subject?: string } | undefined;
    if (!ticket?.comment?.body) {
      reply(422, { error: "RecordInvalid", description: "Record validation errors", details: { description: [{ description: "Description: cannot be blank" }] } });
      return;
    }
    const id = ids.next++;
    reply(201, { ticket: { id, url: `https://fake.zendesk.com/api/v2/tickets/${id}.json`, status: "new", ...ticket } }, {
      location: `https://fake.zendesk.com/api/v2/tickets/${id}.json`,
    });
    return;
  }
  reply(404, { error: "InvalidEndpoint", description: "Not found" });
}
