import { createPagesFunctionHandler } from "@remix-run/cloudflare-pages";
// The Remix server build, made by `npm run build -w dashboard` before `wrangler pages dev|deploy`.
// @ts-expect-error: generated at build time, so it does not exist for the type checker
import * as build from "../build/server";
import { getLoadContext } from "../load-context";

/** Cloudflare Pages Function: every request that is not a static asset goes to Remix. */
export const onRequest = createPagesFunctionHandler({ build, getLoadContext });
