import { describe, expect, it } from "vitest";
import { slackSignature } from "../src/channels/slack/signature";
import { script } from "./action-conversation-helpers";
import { base, createAction, hits, uniq } from "./action-helpers";
import { configure, fakeBase, scenario, waitForRequests, webhook } from "./channel-helpers";
import { createAssistant, signUp } from "./helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

/**
 * A changing action on a channel without a socket, through the real stack: Slack's signed
 * webhook, the outbound queue, the conversation object, the actions executor against the fake
 * business service, and the answers posted to the fake Slack API. The visitor confirms by
 * replying yes or no (in their language); any other reply declines the call and is answered.
 */

const SIGNING_SECRET = "slack-signing-secret-for-tests";
const THREAD = "1700000000.000100";

/** A Slack-connected shop whose assistant answers with the fake OpenAI model under `name`, with a `cancel_order` action. */
async function slackShop(name: string, key: string) {
  const session = await signUp("SlackActions");
  const assistant = await createAssistant(session.access_token, {
    escalation_threshold: 0.2,
    system_prompt: `You help shoppers of Acme. [[fake-script:${name}]]`,
    model_policy: { primary: "openai:gpt-test" },
  });
  const scn = scenario("slack-actions");
  await configure(session.access_token, "slack", {
    config: { assistant_id: assistant.id, team_id: CREDS.slackTeamId, api_base_url: `${fakeBase(scn)}/slack/api` },
    secrets: { bot_token: CREDS.slackBotToken, signing_secret: SIGNING_SECRET },
  });
  await createAction({ token: session.access_token, workspaceId: session.workspace.id, assistantId: assistant.id }, {
    name: "cancel_order",
    description: "Cancel an order that has not shipped",
    method: "POST",
    url: `${base()}/echo/${key}/cancel`,
    parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
  });
  return { workspaceId: session.workspace.id as string, scn };
}

/** Posts a visitor's message in the support thread, signed as Slack signs it. */
async function say(workspaceId: string, text: string) {
  const ts = `${1700000000 + Math.floor(Math.random() * 1e6)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
  const body = JSON.stringify({
    token: "legacy-verification-token",
    team_id: CREDS.slackTeamId,
    api_app_id: "A0FAKEAPP",
    type: "event_callback",
    event_id: `Ev${uniq()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: CREDS.slackTeamId, user_id: CREDS.slackBotUserId, is_bot: true }],
    event: { type: "message", channel: "C0SUPPORT", channel_type: "channel", user: "U0CUSTOMER", ts, thread_ts: THREAD, text },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await webhook(`/webhooks/slack/events?ws=${workspaceId}`, {
    body,
    headers: { "content-type": "application/json", "x-slack-request-timestamp": timestamp, "x-slack-signature": await slackSignature(SIGNING_SECRET, timestamp, body) },
  });
  expect(res.status).toBe(200);
}

/** The texts posted to the thread so far, once there are `count`. */
async function posted(scn: string, count: number): Promise<string[]> {
  const posts = await waitForRequests(scn, (r) => r.path === "/api/chat.postMessage", { count, timeoutMs: 30_000 });
  return posts.map((p) => (p.body as { text: string }).text);
}

describe("a changing action on Slack", () => {
  it("asks in the thread and runs on yes, declines on a German nein, and takes any other reply as a new message", async () => {
    const name = `slack-confirm-${uniq()}`;
    const key = `slack-cancel-${uniq()}`;
    const { workspaceId, scn } = await slackShop(name, key);

    // Yes.
    await script(name, [{ tool_calls: [{ id: "call_s1", name: "cancel_order", arguments: '{"order_number":"1043"}' }] }, { text: "Order 1043 is cancelled." }]);
    await say(workspaceId, `<@${CREDS.slackBotUserId}> Please cancel my order 1043`);
    let texts = await posted(scn, 1);
    expect(texts[0]).toBe("I'm about to do this: cancel_order (order_number: 1043). Reply yes to go ahead or no to cancel.");
    expect(await hits(key)).toBe(0);
    await say(workspaceId, "Yes please");
    texts = await posted(scn, 2);
    expect(texts[1]).toBe("Order 1043 is cancelled.");
    expect(await hits(key)).toBe(1);

    // Nein, in German.
    await script(name, [{ tool_calls: [{ id: "call_s2", name: "cancel_order", arguments: '{"order_number":"1044"}' }] }, { text: "" }]);
    await say(workspaceId, "Bitte stornieren Sie meine Bestellung 1044, ich brauche sie nicht mehr.");
    texts = await posted(scn, 3);
    expect(texts[2]).toBe("Ich würde Folgendes tun: cancel_order (order_number: 1044). Antworten Sie ja, um fortzufahren, oder nein, um abzubrechen.");
    await say(workspaceId, "Nein!");
    texts = await posted(scn, 4);
    expect(texts[3]).toBe("In Ordnung, das habe ich nicht ausgeführt.");
    expect(await hits(key)).toBe(1);

    // Anything else: the call is declined and the reply is answered as a new message.
    await script(name, [
      { tool_calls: [{ id: "call_s3", name: "cancel_order", arguments: '{"order_number":"1045"}' }] },
      { text: "I left order 1045 as it is." },
      { text: "We are open from 9 to 5 on weekdays." },
    ]);
    await say(workspaceId, "Cancel order 1045");
    texts = await posted(scn, 5);
    expect(texts[4]).toMatch(/^I'm about to do this: cancel_order \(order_number: 1045\)\./);
    await say(workspaceId, "What are your opening hours?");
    texts = await posted(scn, 6);
    expect(texts[5]).toBe("We are open from 9 to 5 on weekdays.");
    expect(await hits(key)).toBe(1);
  });
});
