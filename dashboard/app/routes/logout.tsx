import { redirect, type ActionFunctionArgs } from "@remix-run/cloudflare";
import { apiJson } from "../lib/api.server";
import { readForm } from "../lib/forms.server";
import { destroySessionCookie, refreshTokenOf } from "../lib/session.server";

/** Sign out: the API ends the sign-in (its refresh tokens), the cookie is cleared. */
export async function action(args: ActionFunctionArgs) {
  await readForm(args);
  const refresh = await refreshTokenOf(args.request, args.context);
  if (refresh) {
    await apiJson(args.context, "POST", "/auth/logout", { body: { refresh_token: refresh } }).catch(() => undefined);
  }
  return redirect("/login", { headers: { "Set-Cookie": await destroySessionCookie(args.context, args.request) } });
}

/** Signing out is a POST (a link could be triggered by another site); GET goes home. */
export function loader() {
  return redirect("/");
}
