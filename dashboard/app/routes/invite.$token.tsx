import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import type { Session } from "../../../schema/api";
import { AuthCard } from "../components/auth-card";
import { Csrf, errorsOf, Field, Notice } from "../components/ui";
import { apiJson } from "../lib/api.server";
import { attemptThen, readForm, text } from "../lib/forms.server";
import { signedInRedirect } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Join a workspace · EdgeDesk" }];

export function loader({ params }: LoaderFunctionArgs) {
  return { token: params.token ?? "" };
}

/** Accepting an invitation creates the account and signs it in. */
export async function action(args: ActionFunctionArgs) {
  const form = await readForm(args);
  return attemptThen(
    "accept",
    () =>
      apiJson<Session>(args.context, "POST", "/invites/accept", {
        body: { token: args.params.token ?? "", password: form.get("password") ?? "", name: text(form, "name") },
      }),
    (session) => signedInRedirect(args.context, session, "/overview"),
  );
}

export default function AcceptInvite() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = errorsOf(result);
  return (
    <AuthCard title="Join your team">
      <p className="muted">You were invited to an EdgeDesk workspace. Choose a password to create your account.</p>
      <Form method="post" className="stack">
        <Csrf />
        <Notice kind="error">{errors.message}</Notice>
        <Field label="Your name (optional)" name="name" autoComplete="name" error={errors.field("name")} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          required
          hint="At least 10 characters."
          error={errors.field("password")}
        />
        <button className="button" type="submit" disabled={busy}>
          {busy ? "Joining…" : "Join workspace"}
        </button>
      </Form>
    </AuthCard>
  );
}
