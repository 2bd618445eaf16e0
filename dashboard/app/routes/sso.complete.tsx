import { redirect, type LoaderFunctionArgs } from "@remix-run/cloudflare";
import type { Session } from "../../../schema/api";
import { ApiFailure, apiJson } from "../lib/api.server";
import { signedInRedirect } from "../lib/session.server";

/**
 * The end of a single sign-on: the API's callback sends the browser here with a one-time code,
 * traded for a session at once; the browser is signed in and goes where it was going. A code
 * that does not work sends it back to the sign-in page with the API's reason.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const code = url.searchParams.get("code") ?? "";
  try {
    const session = await apiJson<Session>(context, "POST", "/auth/sso/exchange", { body: { code } });
    return signedInRedirect(context, session, url.searchParams.get("next") ?? "/overview");
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    throw redirect(`/login?${new URLSearchParams({ sso_error: err.message })}`);
  }
}
