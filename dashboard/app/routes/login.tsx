import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect } from "react";
import type { Session } from "../../../schema/api";
import { AuthCard } from "../components/auth-card";
import { Csrf, errorsOf, Field, Notice, resultOf } from "../components/ui";
import { apiJson } from "../lib/api.server";
import { publicApiBase } from "../lib/env.server";
import { attemptThen, invalid, readForm, text } from "../lib/forms.server";
import { hasSession, safeNext, signedInRedirect } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Sign in · EdgeDesk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await hasSession(request, context)) throw redirect(safeNext(new URL(request.url).searchParams.get("next")));
  return null;
}

/** Where the browser starts signing in with SSO: the API's start URL for a work email, domain or workspace id. */
function ssoStartUrl(args: ActionFunctionArgs, who: string, next: string): string {
  const url = new URL(`${publicApiBase(args.context.cloudflare.env)}/api/v1/auth/sso/start`);
  if (/^ws_\w+$/.test(who)) url.searchParams.set("workspace", who);
  else if (who.includes("@")) url.searchParams.set("email", who.toLowerCase());
  else url.searchParams.set("domain", who.toLowerCase());
  url.searchParams.set("next", next);
  return url.toString();
}

export async function action(args: ActionFunctionArgs) {
  const form = await readForm(args);
  const next = safeNext(text(form, "next"));
  if (form.get("intent") === "sso") {
    const who = text(form, "sso_identifier");
    if (!who) return invalid("sso", "Enter your work email, its domain or your workspace id.", { sso_identifier: "Required" });
    // Handed to the page, which navigates there: a form's redirect to the provider would break the form-action policy.
    return { ok: true as const, intent: "sso", result: { url: ssoStartUrl(args, who, next) } };
  }
  return attemptThen(
    "login",
    () => apiJson<Session>(args.context, "POST", "/auth/login", { body: { email: text(form, "email") ?? "", password: form.get("password") ?? "" } }),
    (session) => signedInRedirect(args.context, session, next),
  );
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const errors = errorsOf(result, "login");
  const ssoErrors = errorsOf(result, "sso");
  const ssoStart = resultOf<{ url: string }>(result, "sso")?.url;
  useEffect(() => {
    if (ssoStart) window.location.assign(ssoStart);
  }, [ssoStart]);
  return (
    <AuthCard
      title="Sign in"
      footer={
        <p>
          New here? <Link to="/signup">Create a workspace</Link>
        </p>
      }
    >
      <Notice kind="error">{params.get("sso_error") ?? undefined}</Notice>
      <Form method="post" className="stack">
        <Csrf />
        <input type="hidden" name="next" value={params.get("next") ?? ""} />
        <input type="hidden" name="intent" value="login" />
        <Notice kind="error">{errors.message}</Notice>
        <Field label="Email" name="email" type="email" autoComplete="email" required error={errors.field("email")} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={errors.field("password")} />
        <button className="button" type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </Form>
      <Form method="post" className="stack" aria-labelledby="sso-heading">
        <h2 id="sso-heading">Single sign-on</h2>
        <Csrf />
        <input type="hidden" name="next" value={params.get("next") ?? ""} />
        <input type="hidden" name="intent" value="sso" />
        <Notice kind="error">{ssoErrors.message}</Notice>
        <Field
          label="Work address, company domain or workspace id"
          name="sso_identifier"
          autoComplete="email"
          placeholder="you@acme.com"
          error={ssoErrors.field("sso_identifier")}
        />
        {ssoStart ? (
          <p>
            <a href={ssoStart}>Continue to your identity provider</a>
          </p>
        ) : null}
        <button className="button secondary" type="submit" disabled={busy}>
          Sign in with SSO
        </button>
      </Form>
    </AuthCard>
  );
}
