import type { ActionFunctionArgs } from "@remix-run/cloudflare";
import type { DocumentAccepted } from "../../../schema/api";
import { ApiFailure } from "../lib/api.server";
import { api, requireRole } from "../lib/auth.server";
import { readForm, text } from "../lib/forms.server";
import { withQueuedCookies } from "../lib/session.server";

/**
 * One file of a knowledge-base upload, sent by the page with progress events and passed on to
 * the API as the same multipart upload. Answers JSON: the queued document, or the API's error.
 */
export async function action(args: ActionFunctionArgs) {
  await requireRole(args, "manager");
  const form = await readForm(args);
  const assistantId = text(form, "assistant_id") ?? "";
  const file = form.get("file");
  if (!(file instanceof File)) return Response.json({ error: { message: "Choose a file to upload." } }, { status: 400 });
  const upload = new FormData();
  upload.set("file", file, file.name);
  try {
    const accepted = await api<DocumentAccepted>(args, "POST", `/assistants/${assistantId}/documents`, { form: upload });
    return withQueuedCookies(args.context, Response.json(accepted, { status: 202 }));
  } catch (err) {
    if (err instanceof ApiFailure) {
      return withQueuedCookies(args.context, Response.json({ error: { code: err.code, message: err.message } }, { status: err.status }));
    }
    throw err;
  }
}
