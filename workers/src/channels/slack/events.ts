/**
 * Reads Slack Events API payloads: the URL check, and the message events an assistant should
 * answer. Everything else (the bot's own posts, edits, deletions, joins) is recognised and
 * ignored, so the assistant never answers itself or answers twice.
 * https://api.slack.com/apis/events-api
 */
import { z } from "zod";
import { fromSlackText } from "./format";

const SlackMessageEvent = z.looseObject({
  type: z.string(),
  channel: z.string().optional(),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  app_id: z.string().optional(),
  subtype: z.string().optional(),
  edited: z.unknown().optional(),
  hidden: z.boolean().optional(),
  text: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
});

const SlackPayload = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("url_verification"), challenge: z.string().max(200) }),
  z.looseObject({
    type: z.literal("event_callback"),
    team_id: z.string(),
    api_app_id: z.string().optional(),
    event_id: z.string().max(100),
    event: SlackMessageEvent,
    authorizations: z.array(z.looseObject({ user_id: z.string().optional(), is_bot: z.boolean().optional() })).optional(),
  }),
  z.looseObject({ type: z.literal("app_rate_limited") }),
]);

/** Subtypes that are still a person writing: a file with a caption, a reply also sent to the channel. */
const ANSWERED_SUBTYPES = new Set(["file_share", "thread_broadcast"]);

/** What to do with one Slack delivery. */
export type SlackAction =
  | { kind: "url_verification"; challenge: string }
  | {
      kind: "message";
      event_id: string;
      team_id: string;
      channel: string;
      is_direct: boolean;
      user: string;
      text: string;
      ts: string;
      /** The thread the message is in; null for a top-level direct message. */
      thread_ts: string | null;
    }
  | { kind: "ignored"; reason: string; event_id?: string }
  | { kind: "invalid" };

/** Interprets a verified Slack request body. */
export function readSlackPayload(rawBody: string): SlackAction {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { kind: "invalid" };
  }
  const parsed = SlackPayload.safeParse(json);
  if (!parsed.success) return { kind: "invalid" };
  const payload = parsed.data;
  if (payload.type === "url_verification") return { kind: "url_verification", challenge: payload.challenge };
  if (payload.type === "app_rate_limited") return { kind: "ignored", reason: "app_rate_limited" };

  const e = payload.event;
  const ignore = (reason: string): SlackAction => ({ kind: "ignored", reason, event_id: payload.event_id });
  if (e.type !== "message") return ignore(`event ${e.type}`);
  if (e.bot_id || e.app_id) return ignore("bot message");
  if (e.subtype && !ANSWERED_SUBTYPES.has(e.subtype)) return ignore(`subtype ${e.subtype}`);
  if (e.edited !== undefined || e.hidden) return ignore("edited message");
  const botUser = payload.authorizations?.find((a) => a.is_bot)?.user_id ?? null;
  if (!e.user || e.user === botUser) return ignore("own message");
  if (!e.channel || !e.ts) return ignore("no channel");
  const text = fromSlackText(e.text ?? "", botUser);
  if (!text) return ignore("no text");
  const isDirect = e.channel_type === "im" || e.channel.startsWith("D");
  return {
    kind: "message",
    event_id: payload.event_id,
    team_id: payload.team_id,
    channel: e.channel,
    is_direct: isDirect,
    user: e.user,
    text,
    ts: e.ts,
    // In channels every question gets its own thread; a direct message chat is one conversation.
    thread_ts: e.thread_ts ?? (isDirect ? null : e.ts),
  };
}
