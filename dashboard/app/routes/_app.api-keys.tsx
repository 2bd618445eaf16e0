import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import type { ApiKey, ApiKeyWithSecret, Assistant, Page } from "../../../schema/api";
import { Badge, Csrf, CopyButton, EmptyState, errorsOf, resultOf, Field, Notice, PageHeader, SelectField, TextAreaField } from "../components/ui";
import { api, loaderFailure, requireRole } from "../lib/auth.server";
import { dateTime } from "../lib/format";
import { attempt, intentAction, lines, num, text } from "../lib/forms.server";

export const meta: MetaFunction = () => [{ title: "API keys · EdgeDesk" }];

export async function loader(args: LoaderFunctionArgs) {
  await requireRole(args, "admin");
  try {
    const [keys, assistants] = await Promise.all([
      api<Page<ApiKey>>(args, "GET", "/api-keys", { query: { limit: 100 } }),
      api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } }),
    ]);
    return { keys: keys.data, assistants: assistants.data.map((a) => ({ id: a.id, name: a.name })) };
  } catch (err) {
    return loaderFailure(err);
  }
}

export const action = intentAction("admin", {
  create: ({ args, form, intent }) => {
    const type = text(form, "type") === "publishable" ? "publishable" : "secret";
    const origins = lines(form, "allowed_origins");
    const body =
      type === "secret"
        ? { type, name: text(form, "name") ?? "", scope: text(form, "scope") ?? "", expires_in_days: num(form, "expires_in_days") }
        : { type, name: text(form, "name") ?? "", assistant_id: text(form, "assistant_id") ?? "", allowed_origins: origins.length > 0 ? origins : undefined };
    return attempt(intent, () => api<ApiKeyWithSecret>(args, "POST", "/api-keys", { body }));
  },
  rotate: ({ args, form, intent }) =>
    attempt(intent, () => api<ApiKeyWithSecret>(args, "POST", `/api-keys/${text(form, "key_id") ?? ""}/rotate`, { body: {} })),
  revoke: ({ args, form, intent }) =>
    attempt(intent, () => api<ApiKey>(args, "DELETE", `/api-keys/${text(form, "key_id") ?? ""}`), "Key revoked; it stops working now."),
});

function keyState(k: { revoked_at: string | null; expires_at: string | null }): string {
  if (k.revoked_at) return "revoked";
  if (k.expires_at && Date.parse(k.expires_at) <= Date.now()) return "expired";
  return "live";
}

export default function ApiKeys() {
  const { keys, assistants } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [type, setType] = useState<"secret" | "publishable">("secret");
  const errors = errorsOf(result, "create");
  const listErrors = result && !result.ok && result.intent !== "create" ? result.error.message : undefined;
  const shown = resultOf<ApiKeyWithSecret>(result, "create") ?? resultOf<ApiKeyWithSecret>(result, "rotate");
  return (
    <>
      <PageHeader title="API keys" description="Secret keys for your servers; publishable keys for the widget on your sites." />
      {shown ? (
        <div className="notice notice-success" role="status">
          <p>
            <strong>{result?.intent === "rotate" ? "The key was rotated." : "Key created."}</strong> Copy it now: it is shown only once.
          </p>
          <div className="secret">
            <code data-testid="new-key">{shown.key}</code>
            <CopyButton value={shown.key} />
          </div>
        </div>
      ) : null}
      <Form method="post" className="card stack" aria-labelledby="create-key-heading">
        <h2 id="create-key-heading">Create a key</h2>
        <Csrf />
        <input type="hidden" name="intent" value="create" />
        <Notice kind="error">{errors.message}</Notice>
        <div className="row">
          <Field label="Name" name="name" required error={errors.field("name")} />
          <SelectField label="Type" name="type" value={type} onChange={(e) => setType(e.currentTarget.value as "secret" | "publishable")}>
            <option value="secret">Secret (server)</option>
            <option value="publishable">Publishable (widget)</option>
          </SelectField>
          {type === "secret" ? (
            <>
              <SelectField label="Scope" name="scope" defaultValue="viewer" error={errors.field("scope")}>
                <option value="viewer">Viewer</option>
                <option value="manager">Manager</option>
                <option value="admin">Admin</option>
              </SelectField>
              <Field label="Expires in (days)" name="expires_in_days" type="number" min={1} max={730} placeholder="90" error={errors.field("expires_in_days")} />
            </>
          ) : (
            <SelectField label="Assistant" name="assistant_id" error={errors.field("assistant_id")}>
              {assistants.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </SelectField>
          )}
        </div>
        {type === "publishable" ? (
          <TextAreaField
            label="Allowed origins (optional)"
            name="allowed_origins"
            rows={2}
            hint="One per line; empty uses the assistant's allowed origins."
            error={errors.field("allowed_origins")}
          />
        ) : null}
        <button className="button" type="submit" disabled={busy}>
          Create key
        </button>
      </Form>
      <Notice kind="error">{listErrors}</Notice>
      <Notice kind="success">{result?.ok && result.intent === "revoke" ? result.message : undefined}</Notice>
      {keys.length === 0 ? (
        <EmptyState title="No keys yet">
          <p>Create one above to call the API or embed the widget.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="API keys">
          <table>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scope</th>
                <th scope="col">State</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => {
                const state = keyState(k);
                return (
                  <tr key={k.id} data-key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{k.type === "publishable" ? `widget · ${assistants.find((a) => a.id === k.assistant_id)?.name ?? k.assistant_id}` : k.scope}</td>
                    <td>
                      <Badge value={state} />
                    </td>
                    <td>{k.expires_at ? dateTime(k.expires_at) : "never"}</td>
                    <td>{dateTime(k.last_used_at)}</td>
                    <td>
                      {state === "revoked" ? null : (
                        <Form method="post" className="actions">
                          <Csrf />
                          <input type="hidden" name="key_id" value={k.id} />
                          <button className="button secondary small" type="submit" name="intent" value="rotate" aria-label={`Rotate ${k.name}`}>
                            Rotate
                          </button>
                          <button
                            className="button danger small"
                            type="submit"
                            name="intent"
                            value="revoke"
                            aria-label={`Revoke ${k.name}`}
                            onClick={(e) => {
                              if (!confirm(`Revoke ${k.name}? Anything using it stops working.`)) e.preventDefault();
                            }}
                          >
                            Revoke
                          </button>
                        </Form>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
