import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import type { Session } from "../../../schema/api";
import { AuthCard } from "../components/auth-card";
import { Csrf, errorsOf, Field, Notice, SelectField } from "../components/ui";
import { apiJson } from "../lib/api.server";
import { attemptThen, readForm, text } from "../lib/forms.server";
import { hasSession, signedInRedirect } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Create a workspace · EdgeDesk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await hasSession(request, context)) throw redirect("/overview");
  return null;
}

export async function action(args: ActionFunctionArgs) {
  const form = await readForm(args);
  return attemptThen(
    "signup",
    () =>
      apiJson<Session>(args.context, "POST", "/workspaces", {
        body: {
          workspace_name: text(form, "workspace_name") ?? "",
          company_name: text(form, "company_name"),
          email: text(form, "email") ?? "",
          password: form.get("password") ?? "",
          data_region: text(form, "data_region") ?? "default",
        },
      }),
    (session) => signedInRedirect(args.context, session, "/overview"),
  );
}

export default function SignUp() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = errorsOf(result);
  return (
    <AuthCard
      title="Create your workspace"
      footer={
        <p>
          Already have an account? <Link to="/login">Sign in</Link>
        </p>
      }
    >
      <Form method="post" className="stack">
        <Csrf />
        <Notice kind="error">{errors.message}</Notice>
        <Field label="Workspace name" name="workspace_name" required autoComplete="organization" error={errors.field("workspace_name")} />
        <Field label="Company (optional)" name="company_name" error={errors.field("company_name")} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={errors.field("email")} />
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
        <SelectField
          label="Data location"
          name="data_region"
          defaultValue="default"
          hint="Where conversations, knowledge and files are kept. It cannot be changed later."
          error={errors.field("data_region")}
        >
          <option value="default">Default (placed by Cloudflare)</option>
          <option value="eu">European Union</option>
        </SelectField>
        <button className="button" type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create workspace"}
        </button>
      </Form>
    </AuthCard>
  );
}
