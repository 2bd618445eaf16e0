import type { ActionFunctionArgs } from "@remix-run/cloudflare";
import type { SavedReply } from "../../../schema/api";
import { api, requireRole } from "../lib/auth.server";
import { readForm, text } from "../lib/forms.server";
import { withQueuedCookies } from "../lib/session.server";

/**
 * A saved reply's text for this conversation, for the reply box to insert: the API fills its
 * variables and counts the use. Answers `{text}`, or `{error}` with the API's status.
 */
export async function action(args: ActionFunctionArgs) {
  await requireRole(args, "manager");
  const form = await readForm(args);
  const replyId = text(form, "reply_id") ?? "";
  const conversationId = args.params.id ?? "";
  const headers = { "Cache-Control": "no-store" };
  try {
    const used = await api<{ reply: SavedReply; text: string | null }>(args, "POST", `/saved-replies/${encodeURIComponent(replyId)}/use`, {
      body: { conversation_id: conversationId },
    });
    return withQueuedCookies(args.context, Response.json({ text: used.text ?? used.reply.body }, { headers }));
  } catch (err) {
    const status = typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : 502;
    return withQueuedCookies(args.context, Response.json({ error: "the saved reply could not be used" }, { status, headers }));
  }
}
