import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { redirect } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { SsoConfig, Workspace } from "../../../schema/api";
import { SsoSettings } from "../components/sso-settings";
import { Csrf, errorsOf, Field, Notice, PageHeader } from "../components/ui";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { attempt, attemptThen, intentAction, lines, num, text } from "../lib/forms.server";
import { can } from "../lib/roles";
import { destroySessionCookie } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Settings · EdgeDesk" }];

export async function loader(args: LoaderFunctionArgs) {
  try {
    const [workspace, me] = await Promise.all([api<Workspace>(args, "GET", "/workspace"), requireMe(args)]);
    // Single sign-on settings are for admins only, like the API route that holds them.
    const sso = can(me.user.role, "editSettings") ? await api<SsoConfig>(args, "GET", "/workspace/sso") : null;
    return { workspace, role: me.user.role, sso };
  } catch (err) {
    return loaderFailure(err);
  }
}

export const action = intentAction("admin", {
  save: ({ args, form, intent }) => {
    const keep = form.get("keep_forever") === "on";
    return attempt(
      intent,
      () =>
        api<Workspace>(args, "PATCH", "/workspace", {
          body: { name: text(form, "name") ?? "", company_name: text(form, "company_name") ?? null, retention_days: keep ? null : num(form, "retention_days") },
        }),
      "Settings saved.",
    );
  },
  sso: ({ args, form, intent }) => {
    const secret = text(form, "client_secret");
    return attempt(
      intent,
      () =>
        api<SsoConfig>(args, "PUT", "/workspace/sso", {
          body: {
            enabled: form.get("enabled") === "on",
            issuer: text(form, "issuer") ?? "",
            client_id: text(form, "client_id") ?? "",
            ...(secret ? { client_secret: secret } : {}),
            allowed_domains: lines(form, "allowed_domains").map((d) => d.replace(/^@/, "").toLowerCase()),
            default_role: text(form, "default_role") ?? "viewer",
            required: form.get("required") === "on",
          },
        }),
      "Single sign-on saved.",
    );
  },
  close: ({ args, form, intent }) =>
    attemptThen(
      intent,
      () => api(args, "DELETE", "/workspace", { body: { confirm_name: text(form, "confirm_name") ?? "" } }),
      async () => redirect("/signup", { headers: { "Set-Cookie": await destroySessionCookie(args.context, args.request) } }),
    ),
});

export default function Settings() {
  const { workspace, role, sso } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const editable = can(role, "editSettings");
  const errors = errorsOf(result, "save");
  const closeErrors = errorsOf(result, "close");
  return (
    <>
      <PageHeader title="Settings" description={`Workspace ${workspace.id} · plan ${workspace.plan}`} />
      <Form method="post" className="card stack" aria-labelledby="workspace-heading">
        <h2 id="workspace-heading">Workspace</h2>
        <Csrf />
        <input type="hidden" name="intent" value="save" />
        <Notice kind="error">{errors.message}</Notice>
        <Notice kind="success">{result?.ok && result.intent === "save" ? result.message : undefined}</Notice>
        <p data-testid="data-region">
          <strong>Data location:</strong> {workspace.data_region === "eu" ? "European Union (conversations, knowledge and files stay in the EU jurisdiction)" : "Default (placed by Cloudflare)"}.{" "}
          <span className="muted">Chosen at sign-up; it cannot be changed.</span>
        </p>
        <fieldset disabled={!editable} className="stack">
          <legend>Details and data retention</legend>
          <Field label="Workspace name" name="name" defaultValue={workspace.name} required error={errors.field("name")} />
          <Field label="Company" name="company_name" defaultValue={workspace.company_name ?? ""} error={errors.field("company_name")} />
          <Field
            label="Delete conversations after (days)"
            name="retention_days"
            type="number"
            min={1}
            max={3650}
            defaultValue={workspace.retention_days ?? ""}
            hint="Between 1 and 3650 days."
            error={errors.field("retention_days")}
          />
          <label className="check">
            <input type="checkbox" name="keep_forever" defaultChecked={workspace.retention_days === null} /> Keep conversations until deleted by hand
          </label>
        </fieldset>
        {editable ? (
          <button className="button" type="submit" disabled={busy}>
            Save settings
          </button>
        ) : (
          <p className="muted">Only admins change workspace settings.</p>
        )}
      </Form>
      {editable && sso ? <SsoSettings sso={sso} plan={workspace.plan} result={result} busy={busy} /> : null}
      {editable ? (
        <Form method="post" className="card stack" aria-labelledby="danger-heading">
          <h2 id="danger-heading">Danger zone</h2>
          <p>
            Closing the workspace signs everyone out and revokes every API key at once. Type <strong>{workspace.name}</strong> to confirm.
          </p>
          <Csrf />
          <input type="hidden" name="intent" value="close" />
          <Notice kind="error">{closeErrors.message}</Notice>
          <Field label="Workspace name" name="confirm_name" autoComplete="off" required error={closeErrors.field("confirm_name")} />
          <button className="button danger" type="submit">
            Close workspace
          </button>
        </Form>
      ) : null}
    </>
  );
}
