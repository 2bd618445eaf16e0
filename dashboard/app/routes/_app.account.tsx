import type { ActionFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import type { Session } from "../../../schema/api";
import { Csrf, errorsOf, Field, Notice, PageHeader } from "../components/ui";
import { apiJson } from "../lib/api.server";
import { api, requireMe } from "../lib/auth.server";
import { attemptThen, readForm } from "../lib/forms.server";
import { refreshTokenOf, signedInRedirect } from "../lib/session.server";
import { useMe } from "./_app";

export const meta: MetaFunction = () => [{ title: "Your account · EdgeDesk" }];

/**
 * Changing the password ends every other session of the user. This one starts afresh: the page
 * signs in with the new password and then signs the old session out, so no token issued before
 * the change stays usable.
 */
export async function action(args: ActionFunctionArgs) {
  const me = await requireMe(args);
  const form = await readForm(args);
  const next = String(form.get("new_password") ?? "");
  return attemptThen(
    "password",
    () => api(args, "POST", "/auth/password", { body: { current_password: String(form.get("current_password") ?? ""), new_password: next } }),
    async () => {
      const previous = await refreshTokenOf(args.request, args.context);
      const session = await apiJson<Session>(args.context, "POST", "/auth/login", { body: { email: me.user.email, password: next } });
      if (previous) await apiJson(args.context, "POST", "/auth/logout", { body: { refresh_token: previous } }).catch(() => undefined);
      return signedInRedirect(args.context, session, "/account?changed=1");
    },
  );
}

export default function Account() {
  const { user } = useMe();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = errorsOf(result, "password");
  const [params] = useSearchParams();
  const changed = params.has("changed");
  return (
    <>
      <PageHeader title="Your account" description={`${user.email} · ${user.role}`} />
      <Form method="post" className="card stack narrow" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <Csrf />
        <Notice kind="error">{errors.message}</Notice>
        <Notice kind="success">{changed ? "Password changed. Your other sessions were signed out." : undefined}</Notice>
        <Field label="Current password" name="current_password" type="password" autoComplete="current-password" required error={errors.field("current_password")} />
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          required
          hint="At least 10 characters."
          error={errors.field("new_password")}
        />
        <button className="button" type="submit" disabled={busy}>
          Change password
        </button>
      </Form>
    </>
  );
}
