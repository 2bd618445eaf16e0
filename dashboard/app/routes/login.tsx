import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import type { Session } from "../../../schema/api";
import { AuthCard } from "../components/auth-card";
import { Csrf, errorsOf, Field, Notice } from "../components/ui";
import { apiJson } from "../lib/api.server";
import { attemptThen, readForm, text } from "../lib/forms.server";
import { hasSession, safeNext, signedInRedirect } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Sign in · EdgeDesk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await hasSession(request, context)) throw redirect(safeNext(new URL(request.url).searchParams.get("next")));
  return null;
}

export async function action(args: ActionFunctionArgs) {
  const form = await readForm(args);
  const next = safeNext(text(form, "next"));
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
  const errors = errorsOf(result);
  return (
    <AuthCard
      title="Sign in"
      footer={
        <p>
          New here? <Link to="/signup">Create a workspace</Link>
        </p>
      }
    >
      <Form method="post" className="stack">
        <Csrf />
        <input type="hidden" name="next" value={params.get("next") ?? ""} />
        <Notice kind="error">{errors.message}</Notice>
        <Field label="Email" name="email" type="email" autoComplete="email" required error={errors.field("email")} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={errors.field("password")} />
        <button className="button" type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </Form>
    </AuthCard>
  );
}
