import type { ActionFunctionArgs } from "@remix-run/cloudflare";
import { readForm } from "../lib/forms.server";
import { agentSocket } from "../lib/live.server";
import { withQueuedCookies } from "../lib/session.server";

/**
 * A fresh conversation token for the live view to reconnect with, after its token expired or the
 * API closed the socket: agent or watch-only, as the user's role is now.
 */
export async function action(args: ActionFunctionArgs) {
  await readForm(args);
  const id = args.params.id ?? "";
  return withQueuedCookies(args.context, Response.json(await agentSocket(args, id), { headers: { "Cache-Control": "no-store" } }));
}
