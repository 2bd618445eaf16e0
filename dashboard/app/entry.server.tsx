/**
 * Server rendering on Cloudflare (web streams), and the one place where cookies queued by
 * loaders and actions (a renewed session, a new CSRF token) are added to the response.
 */
import type { AppLoadContext, EntryContext, HandleDataRequestFunction } from "@remix-run/cloudflare";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToReadableStream } from "react-dom/server";
import { NonceContext } from "./lib/nonce";
import { applySecurityHeaders, documentCsp, newNonce } from "./lib/security-headers.server";

/** How long the server waits for deferred data before it gives up on streaming it. */
export const streamTimeout = 5_000;

function withCookies(headers: Headers, context: AppLoadContext): void {
  for (const cookie of context.dashboard?.setCookies ?? []) headers.append("Set-Cookie", cookie);
  // Pages that show the signed-in user's data are never cached by anyone else.
  headers.set("Cache-Control", "private, no-store");
}

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // Only the inline scripts Remix writes into this document carry it, so only they run.
  const nonce = newNonce();
  const body = await renderToReadableStream(
    <NonceContext.Provider value={nonce}>
      <RemixServer context={remixContext} url={request.url} nonce={nonce} />
    </NonceContext.Provider>,
    {
      nonce,
      signal: AbortSignal.timeout(streamTimeout + 1_000),
      onError(error: unknown) {
        // Log streaming rendering errors from inside the shell; the error boundary shows the rest.
        if (!request.signal.aborted) console.error(error);
        responseStatusCode = 500;
      },
    },
  );
  if (isbot(request.headers.get("user-agent") || "")) await body.allReady;
  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  responseHeaders.set("Content-Security-Policy", documentCsp(nonce, loadContext.cloudflare.env));
  applySecurityHeaders(responseHeaders);
  withCookies(responseHeaders, loadContext);
  return new Response(body, { headers: responseHeaders, status: responseStatusCode });
}

/** Data requests of client navigations and fetchers. */
export const handleDataRequest: HandleDataRequestFunction = (response, { context }) => {
  withCookies(response.headers, context);
  applySecurityHeaders(response.headers);
  return response;
};
