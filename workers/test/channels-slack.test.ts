import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { slackSignature } from "../src/channels/slack/signature";
import { channelConversations, configure, eventually, fakeBase, messagesOf, providerLog, scenario, shopWithChannel, type ShopWorkspace, waitForRequests, webhook } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

const SIGNING_SECRET = "slack-signing-secret-for-tests";

let ws: ShopWorkspace;
let scn: string;

beforeEach(async () => {
  ({ ws, scn } = await shopWithChannel("slack", (shop, base) => ({
    config: { assistant_id: shop.assistant.id, team_id: CREDS.slackTeamId, api_base_url: `${base}/slack/api` },
    secrets: { bot_token: CREDS.slackBotToken, signing_secret: SIGNING_SECRET },
  })));
});

function messageEvent(event: Record<string, unknown>, eventId = `Ev${Math.random().toString(36).slice(2, 12)}`) {
  return {
    token: "legacy-verification-token",
    team_id: CREDS.slackTeamId,
    api_app_id: "A0FAKEAPP",
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: CREDS.slackTeamId, user_id: CREDS.slackBotUserId, is_bot: true }],
    event: { type: "message", channel: "C0SUPPORT", channel_type: "channel", user: "U0CUSTOMER", ts: "1700000000.000100", ...event },
  };
}

/** Posts a payload to the Slack webhook, signed as Slack signs it (or as told). */
async function postSlack(payload: unknown, opts: { timestamp?: number; signature?: string; secret?: string; retryNum?: number; workspace?: string } = {}) {
  const body = JSON.stringify(payload);
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = opts.signature ?? (await slackSignature(opts.secret ?? SIGNING_SECRET, timestamp, body));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": signature,
  };
  if (opts.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(opts.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  return webhook(`/webhooks/slack/events?ws=${opts.workspace ?? ws.workspaceId}`, { body, headers });
}

const isPost = (r: { path: string }) => r.path === "/api/chat.postMessage";

describe("Slack Events API webhook", () => {
  it("answers Slack's URL verification with the challenge", async () => {
    const res = await postSlack({ token: "t", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });

  it("acknowledges at once and answers in the thread with chat.postMessage; one conversation per thread", async () => {
    const started = Date.now();
    const res = await postSlack(messageEvent({ text: `<@${CREDS.slackBotUserId}> How long does standard shipping take?` }));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);

    const [post] = await waitForRequests(scn, isPost);
    expect(post!.method).toBe("POST");
    expect(post!.headers.authorization).toBe(`Bearer ${CREDS.slackBotToken}`);
    expect(post!.headers["content-type"]).toMatch(/^application\/json/);
    expect(post!.body).toMatchObject({ channel: "C0SUPPORT", thread_ts: "1700000000.000100" });
    expect((post!.body as { text: string }).text).toContain("3 to 5 business days");

    // A reply in the same thread continues the same conversation.
    await postSlack(messageEvent({ text: "And how long does a full battery charge take?", ts: "1700000050.000200", thread_ts: "1700000000.000100" }));
    const posts = await waitForRequests(scn, isPost, { count: 2 });
    expect(posts[1]!.body).toMatchObject({ channel: "C0SUPPORT", thread_ts: "1700000000.000100" });
    expect((posts[1]!.body as { text: string }).text).toContain("4 hours");

    const convs = await channelConversations(ws.workspaceId, "slack");
    expect(convs).toHaveLength(1);
    expect(convs[0]).toMatchObject({ external_ref: `${CREDS.slackTeamId}:C0SUPPORT:1700000000.000100`, visitor_id: `slack:${CREDS.slackTeamId}:U0CUSTOMER` });
    const messages = await eventually(async () => {
      const m = await messagesOf(ws.token, convs[0]!.id);
      expect(m.filter((x) => x.sender_type === "assistant")).toHaveLength(2);
      return m;
    });
    expect(messages.filter((m) => m.sender_type === "visitor").map((m) => m.content)).toEqual([
      "How long does standard shipping take?",
      "And how long does a full battery charge take?",
    ]);
  });

  it("answers a retried event (X-Slack-Retry-Num) once", async () => {
    const event = messageEvent({ text: "How long does standard shipping take?" }, "Ev0DUPLICATE01");
    const first = await postSlack(event);
    const retry = await postSlack(event, { retryNum: 1 });
    const again = await postSlack(event, { retryNum: 2 });
    expect([first.status, retry.status, again.status]).toEqual([200, 200, 200]);
    await waitForRequests(scn, isPost);
    await new Promise((r) => setTimeout(r, 2_500)); // room for a wrongly queued second answer
    expect((await providerLog(scn)).filter(isPost)).toHaveLength(1);
    const [conv] = await channelConversations(ws.workspaceId, "slack");
    const messages = await messagesOf(ws.token, conv!.id);
    expect(messages.filter((m) => m.sender_type === "visitor")).toHaveLength(1);
  });

  it("ignores the bot's own messages, other bots and edits", async () => {
    for (const event of [
      messageEvent({ text: "I am the bot", user: CREDS.slackBotUserId }),
      messageEvent({ text: "from another app", bot_id: "B0OTHER" }),
      messageEvent({ subtype: "message_changed", message: { text: "edited" } }),
      messageEvent({ text: "edited text", edited: { user: "U0CUSTOMER", ts: "1700000001.0" } }),
    ]) {
      expect((await postSlack(event)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await providerLog(scn)).toEqual([]);
    expect(await channelConversations(ws.workspaceId, "slack")).toEqual([]);
  });

  it("refuses forged, stale, replayed and unknown-workspace requests with 401 and does nothing", async () => {
    const event = messageEvent({ text: "How long does standard shipping take?" }, "Ev0FORGED0001");
    const now = Math.floor(Date.now() / 1000);
    const forged = await postSlack(event, { secret: "not-the-signing-secret" });
    const garbage = await postSlack(event, { signature: "v0=deadbeef" });
    const stale = await postSlack(event, { timestamp: now - 301 });
    // Past the 300 s window by 2 s from a fresh clock reading: the requests above take time, and
    // the Worker reads whole seconds, so `now + 301` can land back inside the window.
    const future = await postSlack(event, { timestamp: Math.floor(Date.now() / 1000) + 302 });
    const otherWorkspace = await postSlack(event, { workspace: "ws_doesnotexist0000000" });
    expect([forged, garbage, stale, future, otherWorkspace].map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    for (const res of [forged, garbage, stale, future, otherWorkspace]) {
      expect(res.body).toMatchObject({ error: { code: "unauthorized" } });
    }

    // A request captured from the wire and replayed after the window is stale, whatever its signature.
    const body = JSON.stringify(event);
    const capturedAt = String(now - 600);
    const captured = { "content-type": "application/json", "x-slack-request-timestamp": capturedAt, "x-slack-signature": await slackSignature(SIGNING_SECRET, capturedAt, body) };
    expect((await webhook(`/webhooks/slack/events?ws=${ws.workspaceId}`, { body, headers: captured })).status).toBe(401);

    await new Promise((r) => setTimeout(r, 1_500));
    expect(await providerLog(scn)).toEqual([]);
    expect(await channelConversations(ws.workspaceId, "slack")).toEqual([]);
    const claimed = await env.DB.prepare("select count(*) as n from processed_events where source = 'slack' and event_id like ?").bind(`%Ev0FORGED0001`).first<{ n: number }>();
    expect(claimed!.n).toBe(0);
  });

  it("waits out a 429 with Retry-After and posts the same answer once, without answering twice", async () => {
    const limited = scenario("slack-429");
    await configure(ws.token, "slack", {
      config: { assistant_id: ws.assistant.id, api_base_url: `${fakeBase(limited, "429:1,ok")}/slack/api` },
      secrets: {},
    });
    await postSlack(messageEvent({ text: "How long does standard shipping take?" }));
    const attempts = await waitForRequests(limited, isPost, { count: 2, timeoutMs: 15_000 });
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    const [conv] = await channelConversations(ws.workspaceId, "slack");
    const messages = await messagesOf(ws.token, conv!.id);
    expect(messages.filter((m) => m.sender_type === "assistant")).toHaveLength(1);
  });
});
