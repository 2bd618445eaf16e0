import type { ActionFunctionArgs } from "@remix-run/cloudflare";
import { readForm } from "../lib/forms.server";
import { agentSocket } from "../lib/live.server";
import { withQueuedCookies } from "../lib/session.server";

/** A fresh agent token, for the live view to reconnect after its token expired. */
export async function action(args: ActionFunctionArgs) {
  await readForm(args);
  const id = args.params.id ?? "";
  return withQueuedCookies(args.context, Response.json(await agentSocket(args, id), { headers: { "Cache-Control": "no-store" } }));
}
