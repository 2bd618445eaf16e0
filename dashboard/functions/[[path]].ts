import { createPagesFunctionHandler } from "@remix-run/cloudflare-pages";
// The Remix server build, made by `npm run build -w dashboard` before `wrangler pages dev|deploy`.
// @ts-expect-error: generated at build time, so it does not exist for the type checker
import * as build from "../build/server";
import { misconfigurationResponse, type DashboardEnv } from "../app/lib/env.server";
import { getLoadContext } from "../load-context";

const handleRemix = createPagesFunctionHandler({ build, getLoadContext });

/**
 * Cloudflare Pages Function: every request that is not a static asset goes to Remix, unless the
 * deployment lacks SESSION_SECRET, in which case every one is refused with a 503 that says so.
 */
export const onRequest: typeof handleRemix = (context) => {
  const refused = misconfigurationResponse(context.env as DashboardEnv);
  return refused ? Promise.resolve(refused) : handleRemix(context);
};
