import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { useEffect, useRef } from "react";
import type { Assistant, Integration, IntegrationType, Page } from "../../../schema/api";
import { Badge, Csrf, errorsOf, Field, Notice, PageHeader, SelectField } from "../components/ui";
import { api, loaderFailure, requireRole } from "../lib/auth.server";
import { dateTime } from "../lib/format";
import { attempt, readForm, text } from "../lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Integrations · EdgeDesk" }];

interface Setting {
  name: string;
  label: string;
  hint?: string;
  type?: string;
}

/** How each integration's settings and secrets are labelled on the page. */
const FORMS: Record<IntegrationType, { title: string; about: string; config: Setting[]; secrets: Record<string, string>; assistant?: boolean }> = {
  slack: {
    title: "Slack",
    about: "Answer questions in Slack and post escalations to a channel.",
    config: [
      { name: "team_id", label: "Workspace (team) ID", hint: "T0123456789" },
      { name: "escalation_channel", label: "Escalation channel ID", hint: "C0123456789" },
    ],
    secrets: { bot_token: "Bot token (xoxb-…)", signing_secret: "Signing secret" },
    assistant: true,
  },
  whatsapp: {
    title: "WhatsApp (Twilio)",
    about: "Answer WhatsApp messages through Twilio.",
    config: [
      { name: "account_sid", label: "Account SID", hint: "AC…" },
      { name: "from_number", label: "Sender", hint: "whatsapp:+14155238886" },
    ],
    secrets: { auth_token: "Auth token" },
    assistant: true,
  },
  email: {
    title: "Email (SendGrid)",
    about: "Answer support email received through SendGrid Inbound Parse.",
    config: [
      { name: "from_address", label: "From address", type: "email" },
      { name: "inbound_address", label: "Inbound address", type: "email" },
    ],
    secrets: { sendgrid_api_key: "SendGrid API key", inbound_secret: "Inbound webhook secret" },
    assistant: true,
  },
  zendesk: {
    title: "Zendesk",
    about: "Open a Zendesk ticket when a conversation is escalated.",
    config: [
      { name: "subdomain", label: "Subdomain", hint: "acme for acme.zendesk.com" },
      { name: "agent_email", label: "Agent email", type: "email" },
    ],
    secrets: { api_token: "API token", webhook_secret: "Webhook signing secret" },
  },
  hubspot: {
    title: "HubSpot (CRM)",
    about: "Match visitors to HubSpot contacts by email and log resolved and escalated conversations on their timeline.",
    config: [{ name: "portal_id", label: "Account (hub) ID", hint: "read from the account when blank" }],
    secrets: { access_token: "Private app access token" },
  },
  stripe: {
    title: "Stripe (billing)",
    about: "Bill the workspace's plan through Stripe.",
    config: [
      { name: "price_id", label: "Price ID", hint: "price_…" },
      { name: "customer_portal_return_url", label: "Portal return URL", type: "url" },
    ],
    secrets: { secret_key: "Secret key (sk_…)", webhook_secret: "Webhook secret (whsec_…)" },
  },
  notion: {
    title: "Notion",
    about: "Keep Notion pages and databases in an assistant's knowledge; pick them on the assistant's knowledge page.",
    config: [],
    secrets: { token: "Internal integration secret (ntn_…)" },
  },
};

export async function loader(args: LoaderFunctionArgs) {
  await requireRole(args, "admin");
  try {
    const [list, assistants] = await Promise.all([
      api<{ data: Integration[] }>(args, "GET", "/integrations"),
      api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } }),
    ]);
    return { integrations: list.data, assistants: assistants.data.map((a) => ({ id: a.id, name: a.name })) };
  } catch (err) {
    return loaderFailure(err);
  }
}

export async function action(args: ActionFunctionArgs) {
  await requireRole(args, "admin");
  const form = await readForm(args);
  const type = (text(form, "type") ?? "") as IntegrationType;
  const spec = FORMS[type];
  const config: Record<string, string> = {};
  const secrets: Record<string, string | null> = {};
  if (spec) {
    for (const s of spec.config) config[s.name] = text(form, `config.${s.name}`) ?? "";
    const assistantId = text(form, "config.assistant_id");
    if (spec.assistant && assistantId) config.assistant_id = assistantId;
    // Secrets are write-only: a blank field keeps the stored value, "clear" removes it.
    for (const name of Object.keys(spec.secrets)) {
      const value = text(form, `secrets.${name}`);
      if (value) secrets[name] = value;
      else if (form.get(`clear.${name}`) === "on") secrets[name] = null;
    }
  }
  return attempt(
    type,
    () => api<Integration>(args, "PUT", `/integrations/${encodeURIComponent(type)}`, { body: { enabled: form.get("enabled") === "on", config, secrets } }),
    "Saved.",
  );
}

export default function Integrations() {
  const { integrations, assistants } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader title="Integrations" description="Connect channels and services. Secrets are stored encrypted and never shown again." />
      <div className="grid">
        {integrations.map((i) => (
          <IntegrationForm key={i.type} integration={i} assistants={assistants} />
        ))}
      </div>
    </>
  );
}

function IntegrationForm({ integration: i, assistants }: { integration: Integration; assistants: { id: string; name: string }[] }) {
  const fetcher = useFetcher<typeof action>();
  const spec = FORMS[i.type];
  const saved = fetcher.data?.ok && fetcher.data.intent === i.type ? (fetcher.data.result as Integration | undefined) : undefined;
  const current = saved ?? i;
  const errors = errorsOf(fetcher.data, i.type);
  const headingId = `integration-${i.type}`;
  const form = useRef<HTMLFormElement>(null);
  // Once saved (and the page's data reloaded), typed secrets leave the page.
  useEffect(() => {
    if (fetcher.state === "idle" && saved) form.current?.reset();
  }, [fetcher.state, saved]);
  return (
    <fetcher.Form ref={form} method="post" className="card stack" aria-labelledby={headingId} data-integration={i.type}>
      <h2 id={headingId}>
        {spec.title} {current.configured ? <Badge value={current.enabled ? "active" : "off"} /> : null}
      </h2>
      <p className="muted small">{spec.about}</p>
      <Csrf />
      <input type="hidden" name="type" value={i.type} />
      <Notice kind="error">{errors.message}</Notice>
      <Notice kind="success">{saved ? "Saved." : undefined}</Notice>
      <label className="check">
        <input type="checkbox" name="enabled" defaultChecked={i.configured ? i.enabled : true} /> Enabled
      </label>
      {spec.config.map((s) => (
        <Field
          key={s.name}
          label={s.label}
          name={`config.${s.name}`}
          type={s.type ?? "text"}
          placeholder={s.hint}
          defaultValue={String(i.config[s.name] ?? "")}
          error={errors.field(`config.${s.name}`)}
        />
      ))}
      {spec.assistant ? (
        <SelectField label="Assistant that answers" name="config.assistant_id" defaultValue={String(i.config.assistant_id ?? "")} error={errors.field("config.assistant_id")}>
          <option value="">Choose an assistant</option>
          {assistants.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </SelectField>
      ) : null}
      {Object.entries(spec.secrets).map(([name, label]) => {
        const set = current.secrets_set.includes(name);
        return (
          <div key={name}>
            <Field
              label={label}
              name={`secrets.${name}`}
              type="password"
              autoComplete="off"
              placeholder={set ? "•••••••• (set; leave blank to keep)" : "not set"}
              error={errors.field(`secrets.${name}`)}
            />
            {set ? (
              <label className="check small">
                <input type="checkbox" name={`clear.${name}`} /> Clear the stored {label.toLowerCase()}
              </label>
            ) : null}
          </div>
        );
      })}
      <p className="hint">{current.updated_at ? `Last saved ${dateTime(current.updated_at)}.` : "Not set up yet."}</p>
      <button className="button" type="submit" disabled={fetcher.state !== "idle"}>
        {fetcher.state !== "idle" ? "Saving…" : `Save ${spec.title}`}
      </button>
    </fetcher.Form>
  );
}
