import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useNavigation,
  useRouteError,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { csrfToken } from "./lib/csrf.server";
import { useNonce } from "./lib/nonce";
import styles from "./styles.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: "data:," },
];

export const meta: MetaFunction = () => [{ title: "EdgeDesk" }];

/** The CSRF token every form of the page repeats in a hidden field. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return { csrf: await csrfToken(request, context) };
}

/** A thin bar at the top while a navigation or form submission is in flight. */
function ProgressBar() {
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  return (
    <div className="progress" data-busy={busy} aria-hidden={!busy}>
      {busy ? <span className="visually-hidden" role="status">Loading…</span> : null}
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <ProgressBar />
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  let title = "Something went wrong";
  let detail = "The page could not be shown. Try again in a moment.";
  if (isRouteErrorResponse(error)) {
    title = error.status === 404 ? "Not found" : error.status === 403 ? "Not allowed" : `Error ${error.status}`;
    const body: unknown = error.data;
    if (typeof body === "string" && body) detail = body;
    else if (body && typeof body === "object") {
      const b = body as { message?: string; error?: { message?: string } };
      detail = b.message ?? b.error?.message ?? detail;
    }
  }
  return (
    <main id="main" className="centered">
      <div className="card narrow">
        <h1>{title}</h1>
        <p role="alert">{detail}</p>
        <p>
          <a href="/overview">Back to the dashboard</a>
        </p>
      </div>
    </main>
  );
}
