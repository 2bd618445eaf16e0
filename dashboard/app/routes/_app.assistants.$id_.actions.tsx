/**
 * An assistant's actions: what it may call for visitors (HTTP actions and MCP tools), with
 * forms to create one, import an OpenAPI document, connect an MCP server and test a call, and
 * each action's recent calls.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { Action, ActionCall, Assistant, McpServer } from "../../../schema/api";
import { ActionEditForm } from "../components/actions/action-edit-form";
import { McpServerList } from "../components/actions/mcp-server-list";
import { Badge, Csrf, EmptyState, errorsOf, Field, Notice, PageHeader, resultOf, SelectField, TextAreaField } from "../components/ui";
import { createBody, headersOf, json, updateBody } from "../lib/action-forms.server";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { attempt, intentAction, invalid, text, type IntentContext } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Actions · EdgeDesk" }];

/** Actions whose recent calls the page shows (the newest ones). */
const ACTIONS_WITH_CALLS = 20;
/** Calls shown per action. */
const CALLS_PER_ACTION = 5;

export async function loader(args: LoaderFunctionArgs) {
  try {
    const id = args.params.id ?? "";
    const [assistant, list, servers, me] = await Promise.all([
      api<Assistant>(args, "GET", `/assistants/${id}`),
      api<{ data: Action[] }>(args, "GET", `/assistants/${id}/actions?limit=100`),
      api<{ data: McpServer[] }>(args, "GET", `/assistants/${id}/mcp-servers`),
      requireMe(args),
    ]);
    const calls = await Promise.all(
      list.data.slice(0, ACTIONS_WITH_CALLS).map((a) => api<{ data: ActionCall[] }>(args, "GET", `/actions/${a.id}/calls?limit=${CALLS_PER_ACTION}`).then((r) => r.data)),
    );
    const editing = new URL(args.request.url).searchParams.get("edit");
    return {
      assistant,
      actions: list.data,
      servers: servers.data,
      editing: list.data.find((a) => a.id === editing) ?? null,
      calls: calls.flat().sort((a, b) => b.created_at.localeCompare(a.created_at)),
      role: me.user.role,
    };
  } catch (err) {
    return loaderFailure(err);
  }
}

function create({ args, form, intent }: IntentContext) {
  const parsed = createBody(form);
  if (parsed.errors) return invalid(intent, "Parameters must be a JSON Schema.", parsed.errors);
  return attempt(intent, () => api<Action>(args, "POST", `/assistants/${args.params.id ?? ""}/actions`, { body: parsed.body }), "Action created.");
}

function update({ args, form, intent }: IntentContext) {
  const parsed = updateBody(form, text(form, "kind") === "mcp" ? "mcp" : "http");
  if (parsed.errors) return invalid(intent, "Some fields could not be read.", parsed.errors);
  return attempt(intent, () => api<Action>(args, "PATCH", `/actions/${text(form, "action_id") ?? ""}`, { body: parsed.body }), "Changes saved.");
}

export const action = intentAction("admin", {
  create,
  update,
  import: ({ args, form, intent }) => {
    const doc = text(form, "openapi");
    if (!doc) return invalid(intent, "Paste an OpenAPI document.", { openapi: "is required" });
    return attempt(intent, () =>
      api<{ data: Action[]; skipped: { operation: string; reason: string }[] }>(args, "POST", `/assistants/${args.params.id ?? ""}/actions/import`, {
        body: { openapi: doc, base_url: text(form, "base_url") },
      }),
    );
  },
  mcp: ({ args, form, intent }) =>
    attempt(
      intent,
      () => api(args, "POST", `/assistants/${args.params.id ?? ""}/mcp-servers`, { body: { url: text(form, "url") ?? "", headers: headersOf(form, "headers") } }),
      "MCP server connected; its tools are listed below.",
    ),
  test: ({ args, form, intent }) => {
    const input = json(form, "arguments");
    if (input.error) return invalid(intent, "Arguments must be a JSON object.", { arguments: input.error });
    return attempt(intent, () =>
      api<{ status: string; result?: unknown; error?: string }>(args, "POST", `/actions/${text(form, "action_id") ?? ""}/test`, { body: { arguments: input.value ?? {} } }),
    );
  },
  delete: ({ args, form, intent }) => attempt(intent, () => api(args, "DELETE", `/actions/${text(form, "action_id") ?? ""}`), "Action deleted."),
  mcp_refresh: ({ args, form, intent }) =>
    attempt(intent, () => api<McpServer>(args, "POST", `/mcp-servers/${text(form, "server_id") ?? ""}/refresh`), "MCP server refreshed; its tools are listed again."),
  mcp_remove: ({ args, form, intent }) => attempt(intent, () => api(args, "DELETE", `/mcp-servers/${text(form, "server_id") ?? ""}`), "MCP server removed, with its actions."),
});

export default function ActionsPage() {
  const { assistant, actions, servers, editing, calls, role } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const editable = can(role, "editAssistants");
  const created = errorsOf(result, "create");
  const imported = resultOf<{ data: Action[]; skipped: { operation: string; reason: string }[] }>(result, "import");
  const tested = resultOf<{ status: string; result?: unknown; error?: string }>(result, "test");
  const names = new Map(actions.map((a) => [a.id, a.name]));
  // A saved edit says so in its own form; every other success at the top.
  const success = result?.ok && result.intent !== "update" && "message" in result ? result.message : undefined;

  return (
    <>
      <PageHeader
        title={`Actions of ${assistant.name}`}
        description="What the assistant may look up or do for visitors: HTTP calls to your systems and tools of MCP servers."
        actions={
          <Link className="button secondary" to={`/assistants/${assistant.id}`}>
            Back to the assistant
          </Link>
        }
      />
      <Notice kind="success">{success}</Notice>
      <section className="card stack" aria-labelledby="actions-heading">
        <h2 id="actions-heading">Actions</h2>
        {actions.length === 0 ? (
          <EmptyState title="No actions yet">Create one below, import an OpenAPI document or connect an MCP server.</EmptyState>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Actions">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Call</th>
                  <th scope="col">Flags</th>
                  <th scope="col">Test</th>
                </tr>
              </thead>
              <tbody>
                {actions.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <strong>{a.name}</strong>
                      <div className="small muted">{a.description}</div>
                    </td>
                    <td>{a.kind === "mcp" ? "MCP" : "HTTP"}</td>
                    <td>
                      <code>
                        {a.method} {a.url}
                      </code>
                    </td>
                    <td>
                      {a.mutating ? <Badge value="mutating" /> : <Badge value="read_only" />} {a.requires_verified ? <Badge value="verified_only" /> : null}{" "}
                      {a.enabled ? null : <Badge value="disabled" />}
                    </td>
                    <td>
                      {editable ? (
                        <Form method="post" className="stack">
                          <Csrf />
                          <input type="hidden" name="action_id" value={a.id} />
                          <TextAreaField label={`Arguments for ${a.name} (JSON)`} name="arguments" rows={2} defaultValue="{}" />
                          <div className="actions">
                            <button className="button secondary small" type="submit" name="intent" value="test" disabled={busy}>
                              Test
                            </button>
                            <Link className="button secondary small" to={`?edit=${a.id}#edit-heading`} aria-label={`Edit ${a.name}`}>
                              Edit
                            </Link>
                            <button className="button danger small" type="submit" name="intent" value="delete" disabled={busy} aria-label={`Delete ${a.name}`}>
                              Delete
                            </button>
                          </div>
                        </Form>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Notice kind="error">{errorsOf(result, "test").message ?? errorsOf(result, "delete").message}</Notice>
        {tested ? (
          <div role="status" className="stack">
            <h3>Test result: {tested.status}</h3>
            <pre data-testid="test-result">{tested.status === "done" ? JSON.stringify(tested.result, null, 2) : tested.error}</pre>
          </div>
        ) : null}
      </section>

      {editable && editing ? <ActionEditForm action={editing} result={result} busy={busy} closeTo={`/assistants/${assistant.id}/actions`} /> : null}

      <McpServerList servers={servers} editable={editable} result={result} busy={busy} />

      <section className="card stack" aria-labelledby="calls-heading">
        <h2 id="calls-heading">Recent calls</h2>
        {calls.length === 0 ? (
          <p className="muted">No calls yet.</p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Recent calls, newest first">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">From</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {calls.map((c) => (
                  <tr key={c.id}>
                    <td>{new Date(c.created_at).toLocaleString("en-GB", { timeZone: "UTC" })}</td>
                    <td>{names.get(c.action_id) ?? c.name}</td>
                    <td>{c.conversation_id ? <Link to={`/conversations/${c.conversation_id}`}>{c.source}</Link> : c.source}</td>
                    <td>
                      <Badge value={c.status} /> {c.error ? <span className="small">{c.error}</span> : null}
                    </td>
                    <td>{c.latency_ms} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {editable ? (
        <div className="grid">
          <Form method="post" className="card stack" aria-labelledby="create-heading">
            <h2 id="create-heading">Create an HTTP action</h2>
            <Csrf />
            <input type="hidden" name="intent" value="create" />
            <Notice kind="error">{created.message}</Notice>
            <Field label="Name" name="name" required placeholder="lookup_order" hint="Letters, digits, _ and -; the model calls it by this name." error={created.field("name")} />
            <TextAreaField label="Description" name="description" rows={2} hint="When to use it, in the model's words." error={created.field("description")} />
            <div className="row">
              <SelectField label="Method" name="method" defaultValue="GET" error={created.field("method")}>
                {["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </SelectField>
              <Field label="URL" name="url" required placeholder="https://api.example.com/orders/{order_number}" error={created.field("url")} />
            </div>
            <TextAreaField
              label="Parameters (JSON Schema)"
              name="parameters"
              rows={4}
              placeholder='{"type":"object","properties":{"order_number":{"type":"string"}},"required":["order_number"]}'
              error={created.field("parameters")}
            />
            <TextAreaField label="Headers" name="headers" rows={2} placeholder="Authorization: Bearer …" hint="One `Name: value` per line. Stored encrypted and never shown again." error={created.field("headers")} />
            <TextAreaField label="Response fields" name="response_fields" rows={2} placeholder="order.status" hint="Dotted paths of the answer the model sees, one per line; empty for all." error={created.field("response_fields")} />
            <TextAreaField label="Trigger phrases" name="triggers.phrases" rows={2} hint="Optional: phrases that run it without a model, one per line." error={created.field("triggers")} />
            <label className="check">
              <input type="checkbox" name="mutating" /> Changes something (visitors confirm before it runs)
            </label>
            <label className="check">
              <input type="checkbox" name="requires_verified" /> Only for verified visitors
            </label>
            <label className="check">
              <input type="checkbox" name="handoff_on_failure" defaultChecked /> Hand off to a person when it fails
            </label>
            <button className="button" type="submit" disabled={busy}>
              Create action
            </button>
          </Form>
          <div>
            <Form method="post" className="card stack" aria-labelledby="import-heading">
              <h2 id="import-heading">Import OpenAPI</h2>
              <Csrf />
              <input type="hidden" name="intent" value="import" />
              <Notice kind="error">{errorsOf(result, "import").message}</Notice>
              <TextAreaField label="OpenAPI document (JSON or YAML)" name="openapi" rows={6} error={errorsOf(result, "import").field("openapi")} />
              <Field label="Base URL (when the document names none)" name="base_url" type="url" error={errorsOf(result, "import").field("base_url")} />
              <button className="button secondary" type="submit" disabled={busy}>
                Import
              </button>
              {imported ? (
                <div role="status">
                  <p>
                    Created {imported.data.length} action{imported.data.length === 1 ? "" : "s"}
                    {imported.skipped.length ? `; skipped ${imported.skipped.length}:` : "."}
                  </p>
                  <ul>
                    {imported.skipped.map((s) => (
                      <li key={s.operation}>
                        <code>{s.operation}</code>: {s.reason}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </Form>
            <Form method="post" className="card stack" aria-labelledby="mcp-heading">
              <h2 id="mcp-heading">Connect an MCP server</h2>
              <Csrf />
              <input type="hidden" name="intent" value="mcp" />
              <Notice kind="error">{errorsOf(result, "mcp").message}</Notice>
              <Field label="Server URL" name="url" type="url" required error={errorsOf(result, "mcp").field("url")} />
              <TextAreaField label="Headers" name="headers" rows={2} placeholder="Authorization: Bearer …" hint="Write-only, like action headers." error={errorsOf(result, "mcp").field("headers")} />
              <button className="button secondary" type="submit" disabled={busy}>
                Connect
              </button>
            </Form>
          </div>
        </div>
      ) : (
        <p className="muted">Only admins change actions.</p>
      )}
    </>
  );
}
