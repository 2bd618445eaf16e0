import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import type { ApiKeyWithSecret, Assistant, Branding } from "../../../schema/api";
import { WidgetPreview } from "../components/widget-preview";
import { Csrf, CopyButton, errorsOf, resultOf, Field, Notice, PageHeader, SelectField, TextAreaField } from "../components/ui";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { publicApiBase, WIDGET_LOADER_PATH } from "../lib/env.server";
import { attempt, attemptThen, intentAction, lines, num, text } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Assistant · EdgeDesk" }];

export async function loader(args: LoaderFunctionArgs) {
  try {
    const [assistant, me] = await Promise.all([api<Assistant>(args, "GET", `/assistants/${args.params.id ?? ""}`), requireMe(args)]);
    return { assistant, role: me.user.role, apiBase: publicApiBase(args.context.cloudflare.env), widgetPath: WIDGET_LOADER_PATH };
  } catch (err) {
    return loaderFailure(err);
  }
}

/** The branding fields of the form; empty ones are left out so the widget uses its defaults. */
function brandingOf(form: FormData): Branding {
  const position = text(form, "branding.position");
  return {
    primary_color: text(form, "branding.primary_color"),
    title: text(form, "branding.title"),
    greeting: text(form, "branding.greeting"),
    avatar_url: text(form, "branding.avatar_url"),
    position: position === "bottom-left" || position === "bottom-right" ? position : undefined,
  };
}

export const action = intentAction("admin", {
  save: ({ args, form, intent }) => {
    const fallback = lines(form, "model_policy.fallback");
    const body = {
      name: text(form, "name") ?? "",
      system_prompt: String(form.get("system_prompt") ?? ""),
      tone: text(form, "tone"),
      escalation_threshold: num(form, "escalation_threshold"),
      model_policy: {
        primary: text(form, "model_policy.primary"),
        fallback: fallback.length > 0 ? fallback : undefined,
        cheap: text(form, "model_policy.cheap"),
        strong: text(form, "model_policy.strong"),
        temperature: num(form, "model_policy.temperature"),
        max_tokens: num(form, "model_policy.max_tokens"),
      },
      allowed_origins: lines(form, "allowed_origins"),
      branding: brandingOf(form),
    };
    return attempt(intent, () => api<Assistant>(args, "PATCH", `/assistants/${args.params.id ?? ""}`, { body }), "Saved.");
  },
  create_key: ({ args, intent }) =>
    attempt(intent, () =>
      api<ApiKeyWithSecret>(args, "POST", "/api-keys", {
        body: { name: `Widget key (${new Date().toISOString().slice(0, 10)})`, type: "publishable", assistant_id: args.params.id ?? "" },
      }),
    ),
  delete: ({ args, intent }) => attemptThen(intent, () => api(args, "DELETE", `/assistants/${args.params.id ?? ""}`), () => redirect("/assistants")),
});

export default function AssistantPage() {
  const { assistant, role, apiBase, widgetPath } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const editable = can(role, "editAssistants");
  const initialBranding = assistant.branding as Branding;
  const [branding, setBranding] = useState<Branding>(initialBranding);
  const [threshold, setThreshold] = useState(assistant.escalation_threshold);
  const errors = errorsOf(result, "save");
  const keyResult = resultOf<ApiKeyWithSecret>(result, "create_key");
  const keyErrors = errorsOf(result, "create_key");
  const deleteErrors = errorsOf(result, "delete");
  const policy = assistant.model_policy;

  const snippetAttrs = [
    `src="${apiBase}${widgetPath}"`,
    `data-assistant="${assistant.id}"`,
    `data-key="${keyResult?.key ?? "pk_live_…"}"`,
    branding.primary_color ? `data-color="${branding.primary_color}"` : "",
    branding.title ? `data-title="${branding.title.replace(/"/g, "&quot;")}"` : "",
    branding.position && branding.position !== "bottom-right" ? `data-position="${branding.position}"` : "",
  ].filter(Boolean);
  const snippet = `<script ${snippetAttrs.join("\n        ")}\n        async></script>`;
  const setBrand = (field: keyof Branding) => (e: { currentTarget: { value: string } }) =>
    setBranding((b) => ({ ...b, [field]: e.currentTarget.value || undefined }));

  return (
    <>
      <PageHeader
        title={assistant.name}
        description={<code>{assistant.id}</code>}
        actions={
          <>
            <Link className="button secondary" to={`/assistants/${assistant.id}/actions`}>
              Actions
            </Link>
            <Link className="button secondary" to={`/knowledge?assistant=${assistant.id}`}>
              Knowledge base
            </Link>
          </>
        }
      />
      <div className="grid">
        <Form method="post" className="card stack" aria-labelledby="setup-heading">
          <h2 id="setup-heading">Setup</h2>
          <Csrf />
          <input type="hidden" name="intent" value="save" />
          <Notice kind="error">{errors.message}</Notice>
          <Notice kind="success">{result?.ok && result.intent === "save" ? result.message : undefined}</Notice>
          <fieldset disabled={!editable} className="stack">
            <legend>Behaviour</legend>
            <Field label="Name" name="name" defaultValue={assistant.name} required error={errors.field("name")} />
            <TextAreaField
              label="System prompt"
              name="system_prompt"
              rows={6}
              defaultValue={assistant.system_prompt}
              hint="What the assistant is, what it may talk about, and how."
              error={errors.field("system_prompt")}
            />
            <SelectField label="Tone" name="tone" defaultValue={assistant.tone} error={errors.field("tone")}>
              <option value="friendly">Friendly</option>
              <option value="professional">Professional</option>
              <option value="casual">Casual</option>
            </SelectField>
            <Field
              label={`Escalation threshold: ${threshold.toFixed(2)}`}
              name="escalation_threshold"
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={threshold}
              onChange={(e) => setThreshold(Number(e.currentTarget.value))}
              hint="Answers less confident than this are handed to a person."
              error={errors.field("escalation_threshold")}
            />
            <TextAreaField
              label="Allowed origins"
              name="allowed_origins"
              rows={3}
              defaultValue={assistant.allowed_origins.join("\n")}
              hint="One per line, e.g. https://shop.example.com. The widget works only on these sites."
              error={errors.field("allowed_origins")}
            />
          </fieldset>
          <fieldset disabled={!editable} className="stack">
            <legend>Model policy</legend>
            <div className="row">
              <Field label="Primary model" name="model_policy.primary" defaultValue={policy.primary ?? ""} placeholder="extractive" error={errors.field("model_policy.primary")} />
              <Field label="Fallbacks (comma-separated)" name="model_policy.fallback" defaultValue={(policy.fallback ?? []).join(", ")} error={errors.field("model_policy.fallback")} />
            </div>
            <div className="row">
              <Field label="Cheap model (simple questions)" name="model_policy.cheap" defaultValue={policy.cheap ?? ""} error={errors.field("model_policy.cheap")} />
              <Field label="Strong model (complex questions)" name="model_policy.strong" defaultValue={policy.strong ?? ""} error={errors.field("model_policy.strong")} />
            </div>
            <div className="row">
              <Field label="Temperature (0–2)" name="model_policy.temperature" type="number" step="0.1" min={0} max={2} defaultValue={policy.temperature ?? ""} error={errors.field("model_policy.temperature")} />
              <Field label="Max tokens" name="model_policy.max_tokens" type="number" min={1} max={8192} defaultValue={policy.max_tokens ?? ""} error={errors.field("model_policy.max_tokens")} />
            </div>
          </fieldset>
          <fieldset disabled={!editable} className="stack">
            <legend>Branding</legend>
            <div className="row">
              <Field
                label="Colour"
                name="branding.primary_color"
                type="color"
                defaultValue={initialBranding.primary_color ?? "#2149b8"}
                onInput={setBrand("primary_color")}
                error={errors.field("branding.primary_color")}
              />
              <SelectField label="Position" name="branding.position" defaultValue={initialBranding.position ?? "bottom-right"} onChange={setBrand("position")}>
                <option value="bottom-right">Bottom right</option>
                <option value="bottom-left">Bottom left</option>
              </SelectField>
            </div>
            <Field label="Title" name="branding.title" defaultValue={initialBranding.title ?? ""} onInput={setBrand("title")} error={errors.field("branding.title")} />
            <Field label="Greeting" name="branding.greeting" defaultValue={initialBranding.greeting ?? ""} onInput={setBrand("greeting")} error={errors.field("branding.greeting")} />
            <Field
              label="Avatar URL"
              name="branding.avatar_url"
              type="url"
              defaultValue={initialBranding.avatar_url ?? ""}
              onInput={setBrand("avatar_url")}
              error={errors.field("branding.avatar_url")}
            />
          </fieldset>
          {editable ? (
            <button className="button" type="submit" disabled={busy}>
              Save changes
            </button>
          ) : (
            <p className="muted">Only admins change assistants.</p>
          )}
        </Form>
        <div>
          <section className="card" aria-labelledby="preview-heading">
            <h2 id="preview-heading">Widget preview</h2>
            <WidgetPreview branding={branding} assistantName={assistant.name} />
          </section>
          <section className="card stack" aria-labelledby="embed-heading">
            <h2 id="embed-heading">Embed on your site</h2>
            <p className="small">Paste this before the closing &lt;/body&gt; tag of your pages.</p>
            <pre data-testid="embed-snippet">{snippet}</pre>
            <div className="actions">
              <CopyButton value={snippet} label="Copy snippet" />
              {editable ? (
                <Form method="post">
                  <Csrf />
                  <button className="button secondary small" type="submit" name="intent" value="create_key">
                    Create a widget key
                  </button>
                </Form>
              ) : null}
            </div>
            <Notice kind="error">{keyErrors.message}</Notice>
            {keyResult ? (
              <Notice kind="success">
                New widget key {keyResult.prefix}… is in the snippet above. It is shown only now: copy the snippet.
              </Notice>
            ) : (
              <p className="hint">The snippet needs a publishable key of this assistant; create one here or on the API keys page.</p>
            )}
          </section>
          {editable ? (
            <section className="card stack" aria-labelledby="danger-heading">
              <h2 id="danger-heading">Danger zone</h2>
              <Notice kind="error">{deleteErrors.message}</Notice>
              <Form
                method="post"
                onSubmit={(e) => {
                  if (!confirm(`Delete ${assistant.name} and its knowledge base?`)) e.preventDefault();
                }}
              >
                <Csrf />
                <button className="button danger" type="submit" name="intent" value="delete">
                  Delete assistant
                </button>
              </Form>
            </section>
          ) : null}
        </div>
      </div>
    </>
  );
}
