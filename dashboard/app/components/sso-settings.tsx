import { Form } from "@remix-run/react";
import type { SsoConfig } from "../../../schema/api";
import { Csrf, CopyButton, errorsOf, Field, Notice, SelectField } from "./ui";
import type { ActionResult } from "../lib/forms.server";

/** The settings page's single sign-on section (admins only): provider, client, domains, role, "SSO required". */
export function SsoSettings({ sso, plan, result, busy }: { sso: SsoConfig; plan: string; result: ActionResult | undefined; busy: boolean }) {
  const errors = errorsOf(result, "sso");
  const enterprise = plan === "enterprise";
  return (
    <Form method="post" className="card stack" aria-labelledby="sso-heading">
      <h2 id="sso-heading">Single sign-on (OpenID Connect)</h2>
      <p className="muted">
        Members sign in with your identity provider (Google, Okta, Entra ID or any OpenID provider). Register this redirect URI with it:{" "}
        <code className="wrap-anywhere">{sso.redirect_uri}</code> <CopyButton value={sso.redirect_uri} />
      </p>
      <Csrf />
      <input type="hidden" name="intent" value="sso" />
      <Notice kind="error">{errors.message}</Notice>
      <Notice kind="success">{result?.ok && result.intent === "sso" ? result.message : undefined}</Notice>
      <Field label="Issuer URL" name="issuer" type="url" placeholder="https://accounts.google.com" defaultValue={sso.issuer ?? ""} required error={errors.field("issuer")} />
      <Field label="Client ID" name="client_id" defaultValue={sso.client_id ?? ""} required autoComplete="off" error={errors.field("client_id")} />
      <Field
        label="Client secret"
        name="client_secret"
        type="password"
        autoComplete="new-password"
        hint={sso.client_secret_set ? "A secret is stored. Leave empty to keep it." : "Leave empty for a public client (PKCE only)."}
        error={errors.field("client_secret")}
      />
      <Field
        label="Allowed email domains"
        name="allowed_domains"
        placeholder="acme.com, acme.co.uk"
        defaultValue={sso.allowed_domains.join(", ")}
        hint="Verified emails of these domains may sign in; new people join with the role below."
        required
        error={errors.field("allowed_domains")}
      />
      <SelectField label="Role of new members" name="default_role" defaultValue={sso.default_role} error={errors.field("default_role")}>
        <option value="viewer">Viewer</option>
        <option value="manager">Manager</option>
      </SelectField>
      <label className="check">
        <input type="checkbox" name="enabled" defaultChecked={sso.configured ? sso.enabled : true} /> Offer “Sign in with SSO”
      </label>
      <label className="check">
        <input type="checkbox" name="required" defaultChecked={sso.required} disabled={!enterprise && !sso.required} /> Require SSO: refuse password
        sign-in (you keep yours as the break-glass account){enterprise ? "" : " · enterprise plan"}
      </label>
      <button className="button" type="submit" disabled={busy}>
        Save single sign-on
      </button>
    </Form>
  );
}
