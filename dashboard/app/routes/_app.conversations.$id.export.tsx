import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import type { ConversationExport } from "../../../schema/api";
import { api, loaderFailure } from "../lib/auth.server";
import { withQueuedCookies } from "../lib/session.server";

/** Downloads the conversation and all its messages as JSON. */
export async function loader(args: LoaderFunctionArgs) {
  const id = args.params.id ?? "";
  try {
    const body = await api<ConversationExport>(args, "GET", `/conversations/${id}/export`);
    const response = new Response(JSON.stringify(body, null, 2), {
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": `attachment; filename="${id.replace(/[^\w-]/g, "")}.json"`,
        "Cache-Control": "private, no-store",
      },
    });
    return withQueuedCookies(args.context, response);
  } catch (err) {
    return loaderFailure(err);
  }
}
