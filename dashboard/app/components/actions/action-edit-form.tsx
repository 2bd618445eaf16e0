/**
 * The form that changes an existing action: every field `PATCH /actions/:id` takes. Header
 * values are write-only, so the form lists the names that are set, each with a box to remove
 * it, and takes new values (a name already set is replaced). What an MCP action's server owns
 * (name, method, URL, parameters, headers) is shown, not offered.
 */
import { Form, Link } from "@remix-run/react";
import type { Action } from "../../../../schema/api";
import type { ActionResult } from "../../lib/forms.server";
import { Csrf, errorsOf, Field, Notice, SelectField, TextAreaField } from "../ui";

/** HTTP methods an action may use (the API's `ActionMethod`). */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** `param: regex` lines of the action's trigger patterns. */
function patternLines(a: Action): string {
  return Object.entries(a.triggers?.patterns ?? {})
    .map(([param, pattern]) => `${param}: ${pattern}`)
    .join("\n");
}

/** The edit form of `action`, with the API's errors of the last `update` next to its fields. */
export function ActionEditForm({ action: a, result, busy, closeTo }: { action: Action; result: ActionResult | undefined; busy: boolean; closeTo: string }) {
  const errors = errorsOf(result, "update");
  const http = a.kind === "http";
  const saved = result?.ok && result.intent === "update" ? result.message : undefined;
  return (
    // Keyed by the last change: once saved, the fields show what the API now holds.
    <Form key={`${a.id}:${a.updated_at}`} method="post" className="card stack" aria-labelledby="edit-heading">
      <h2 id="edit-heading">Edit {a.name}</h2>
      <Csrf />
      <input type="hidden" name="intent" value="update" />
      <input type="hidden" name="action_id" value={a.id} />
      <input type="hidden" name="kind" value={a.kind} />
      <Notice kind="error">{errors.message}</Notice>
      <Notice kind="success">{saved}</Notice>
      {http ? (
        <>
          <Field label="Name" name="name" required defaultValue={a.name} hint="Letters, digits, _ and -; the model calls it by this name." error={errors.field("name")} />
          <div className="row">
            <SelectField label="Method" name="method" defaultValue={a.method} error={errors.field("method")}>
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </SelectField>
            <Field label="URL" name="url" required defaultValue={a.url} error={errors.field("url")} />
          </div>
        </>
      ) : (
        <p className="muted">
          A tool of an MCP server: its name, URL and parameters come from the server (refresh the server to update them). Call: <code className="wrap-anywhere">{a.url}</code>
        </p>
      )}
      <TextAreaField label="Description" name="description" rows={2} defaultValue={a.description} hint="When to use it, in the model's words." error={errors.field("description")} />
      {http ? (
        <TextAreaField label="Parameters (JSON Schema)" name="parameters" rows={5} defaultValue={JSON.stringify(a.parameters, null, 2)} error={errors.field("parameters")} />
      ) : null}
      {http ? (
        <fieldset className="stack">
          <legend>Headers</legend>
          {a.headers_set.length ? (
            a.headers_set.map((h) => (
              <label className="check" key={h}>
                <input type="checkbox" name="remove_header" value={h} /> Remove <code>{h}</code> (set; its value is never shown)
              </label>
            ))
          ) : (
            <p className="muted small">No headers set.</p>
          )}
          <TextAreaField
            label="Set or replace headers"
            name="headers"
            rows={2}
            placeholder="Authorization: Bearer …"
            hint="One `Name: value` per line; a name already set gets the new value. Stored encrypted."
            error={errors.field("headers")}
          />
        </fieldset>
      ) : null}
      <TextAreaField label="Response fields" name="response_fields" rows={2} defaultValue={a.response_fields.join("\n")} hint="Dotted paths of the answer the model sees, one per line; empty for all." error={errors.field("response_fields")} />
      <fieldset className="stack">
        <legend>Triggers</legend>
        <TextAreaField label="Trigger phrases" name="triggers.phrases" rows={2} defaultValue={a.triggers?.phrases.join("\n") ?? ""} hint="Phrases that run it without a model, one per line; empty for none." error={errors.field("triggers.phrases")} />
        <TextAreaField
          label="Trigger patterns"
          name="triggers.patterns"
          rows={2}
          defaultValue={patternLines(a)}
          placeholder="order_number: \b(\d{4,})\b"
          hint="One `parameter: regex` per line: where in the visitor's words each required parameter is found."
          error={errors.field("triggers.patterns") ?? errors.field("triggers")}
        />
        <TextAreaField label="Answer template" name="answer_template" rows={2} defaultValue={a.answer_template ?? ""} hint="What the procedure answers; {field} is filled from the result and the arguments." error={errors.field("answer_template")} />
      </fieldset>
      <Field label="Time limit (ms)" name="timeout_ms" type="number" defaultValue={a.timeout_ms} error={errors.field("timeout_ms")} />
      <label className="check">
        <input type="checkbox" name="mutating" defaultChecked={a.mutating} /> Changes something (visitors confirm before it runs)
      </label>
      <label className="check">
        <input type="checkbox" name="requires_verified" defaultChecked={a.requires_verified} /> Only for verified visitors
      </label>
      <label className="check">
        <input type="checkbox" name="handoff_on_failure" defaultChecked={a.handoff_on_failure} /> Hand off to a person when it fails
      </label>
      <label className="check">
        <input type="checkbox" name="enabled" defaultChecked={a.enabled} /> Enabled
      </label>
      <div className="actions">
        <button className="button" type="submit" disabled={busy}>
          Save changes
        </button>
        <Link className="button secondary" to={closeTo}>
          Close
        </Link>
      </div>
    </Form>
  );
}
