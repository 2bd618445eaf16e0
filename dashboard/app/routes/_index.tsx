import { redirect, type LoaderFunctionArgs } from "@remix-run/cloudflare";
import { hasSession } from "../lib/session.server";

/** `/`: the overview when signed in, the sign-in page otherwise. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return redirect((await hasSession(request, context)) ? "/overview" : "/login");
}
