/**
 * The staff side of a conversation's WebSocket: a short-lived token and the URL to use it on.
 * The API decides what the token may do: `agent` (reply, take over) for managers and admins,
 * `observer` (watch only) for viewers; the live view shows its controls by that answer.
 */
import type { ConversationToken } from "../../../schema/api";
import { api, type Args } from "./auth.server";
import { publicApiBase } from "./env.server";

/** What the browser needs to join a conversation's socket, and what the socket may do. */
export interface AgentSocket {
  url: string;
  token: string;
  expiresAt: string;
  /** What the API granted: replying as an agent, or watching only. */
  role: "agent" | "observer";
}

/**
 * Asks the API for a staff token of the conversation (agent or watch-only, by the user's role
 * now). The token authorises this one conversation's socket only, for a short time; it is kept
 * in page memory, never stored.
 */
export async function agentSocket(args: Args, conversationId: string): Promise<AgentSocket> {
  const t = await api<ConversationToken>(args, "POST", `/conversations/${conversationId}/token`, { body: {} });
  // The API names the socket on the host the server called; the browser may reach it elsewhere.
  const base = new URL(publicApiBase(args.context.cloudflare.env));
  const url = new URL(t.ws_url);
  url.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  url.host = base.host;
  return { url: url.toString(), token: t.token, expiresAt: t.token_expires_at, role: t.role === "agent" ? "agent" : "observer" };
}
