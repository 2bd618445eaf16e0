/** Integrations (Slack, WhatsApp, email, Zendesk, HubSpot, Stripe, Notion): settings, write-only secrets, connection tests. */
import { z } from "@hono/zod-openapi";
import { EmailField, idOf, isoTimestamp } from "./common";

/** The providers a workspace can connect. */
export const IntegrationTypeSchema = z.enum(["slack", "whatsapp", "email", "zendesk", "hubspot", "stripe", "notion"]);

const setting = (max = 500) => z.string().trim().max(max);

/** A secret value: write-only, stored encrypted. `null` clears it. */
const secret = z.string().min(1).max(4_096).nullable();

/** Another API host for a provider (a regional endpoint, a proxy, or a local server in tests). */
const apiBaseUrl = z.union([z.literal(""), z.url({ protocol: /^https?$/ }).max(2_048)]).optional();

/** Non-secret settings and secret field names of each integration type. */
export const INTEGRATION_FIELDS = {
  slack: {
    config: z.strictObject({
      team_id: setting(40).optional(),
      /** Channel escalations are posted to, e.g. `C0123456789`. */
      escalation_channel: setting(80).optional(),
      assistant_id: idOf("ast").optional(),
      /** Which assistant answers in which Slack channel (`{"C0123456789": "ast_…"}`); others use `assistant_id`. */
      channel_assistants: z.record(setting(80), idOf("ast")).optional(),
      /** Slack Web API base URL; default `https://slack.com/api`. */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ bot_token: secret.optional(), signing_secret: secret.optional() }),
  },
  whatsapp: {
    config: z.strictObject({
      account_sid: setting(64).optional(),
      /** The Twilio sender, e.g. `whatsapp:+14155238886`. */
      from_number: setting(40).optional(),
      assistant_id: idOf("ast").optional(),
      /** The webhook URL exactly as entered in Twilio, when a proxy changes what the Worker sees. */
      webhook_url: z.union([z.literal(""), z.url({ protocol: /^https?$/ }).max(2_048)]).optional(),
      /** Inbound pictures and files: kept in R2 (`store`), or answered with a text-only note (`reject`). */
      media: z.enum(["store", "reject"]).optional(),
      /** Twilio REST API base URL; default `https://api.twilio.com`. */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ auth_token: secret.optional() }),
  },
  email: {
    config: z.strictObject({
      from_address: z.union([z.literal(""), EmailField]).optional(),
      inbound_address: z.union([z.literal(""), EmailField]).optional(),
      assistant_id: idOf("ast").optional(),
      from_name: setting(100).optional(),
      /** Where escalation notices are emailed, when the team wants email rather than Slack. */
      escalation_address: z.union([z.literal(""), EmailField]).optional(),
      /** SendGrid's signed-webhook verification key (public, base64); when set, inbound mail must be signed. */
      signature_public_key: setting(1_000).optional(),
      /**
       * Answer only senders that pass SPF (for the From domain) or DKIM (signed by it), as SendGrid
       * reports them (default true); other mail is held for a person, marked `email_verified: false`.
       */
      require_sender_auth: z.boolean().optional(),
      /** SendGrid API base URL; default `https://api.sendgrid.com` (`https://api.eu.sendgrid.com` for EU). */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ sendgrid_api_key: secret.optional(), inbound_secret: secret.optional() }),
  },
  zendesk: {
    config: z.strictObject({
      /** `acme` for acme.zendesk.com. */
      subdomain: setting(63).optional(),
      agent_email: z.union([z.literal(""), EmailField]).optional(),
      /** Tags added to every escalation ticket. */
      tags: z.array(setting(80)).max(20).optional(),
      /** Custom field values set on every escalation ticket. */
      custom_fields: z
        .array(z.strictObject({ id: z.number().int().positive(), value: z.union([setting(500), z.number(), z.boolean(), z.null()]) }))
        .max(50)
        .optional(),
      /** Send agents' public ticket comments back to the visitor's channel (default true). */
      relay_agent_comments: z.boolean().optional(),
      /** Zendesk API base URL; default `https://{subdomain}.zendesk.com`. */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ api_token: secret.optional(), webhook_secret: secret.optional() }),
  },
  hubspot: {
    config: z.strictObject({
      /** The HubSpot account (hub) id, for links to contacts; read from the account when not set. */
      portal_id: z.union([z.literal(""), z.string().regex(/^\d{1,20}$/, "a HubSpot account id is digits")]).optional(),
      /** HubSpot API base URL; default `https://api.hubapi.com`. */
      api_base_url: apiBaseUrl,
    }),
    /** A private app's access token with the `crm.objects.contacts.read` and `.write` scopes. */
    secrets: z.strictObject({ access_token: secret.optional() }),
  },
  stripe: {
    config: z.strictObject({
      price_id: setting(100).optional(),
      customer_portal_return_url: z.union([z.literal(""), z.url({ protocol: /^https?$/ }).max(2_048)]).optional(),
    }),
    secrets: z.strictObject({ secret_key: secret.optional(), webhook_secret: secret.optional() }),
  },
  notion: {
    config: z.strictObject({
      /** Notion API base URL; default `https://api.notion.com`. */
      api_base_url: apiBaseUrl,
    }),
    /** `token`: the internal integration secret (`ntn_…`) of the workspace's Notion integration. */
    secrets: z.strictObject({ token: secret.optional() }),
  },
} as const;

/** A provider a workspace can connect. */
export type IntegrationType = z.infer<typeof IntegrationTypeSchema>;

/** `PUT /integrations/:type`; `config` and `secrets` are checked against the type's fields. */
export const IntegrationUpdateBody = z
  .strictObject({
    enabled: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).default({}),
    secrets: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("IntegrationUpdate");

/** An integration: its settings, whether it is on, and which of its secrets hold a value. */
export const IntegrationSchema = z
  .object({
    type: IntegrationTypeSchema,
    configured: z.boolean(),
    enabled: z.boolean(),
    config: z.record(z.string(), z.unknown()),
    /** Names of the secret fields that hold a value; the values are never returned. */
    secrets_set: z.array(z.string()),
    /** Every secret field this type takes. */
    secret_fields: z.array(z.string()),
    updated_at: isoTimestamp.nullable(),
  })
  .openapi("Integration");

/** An integration as the API shows it: settings, and which secrets are set. */
export type Integration = z.infer<typeof IntegrationSchema>;

/** `POST /integrations/:type/test`: the provider's cheapest authenticated call, and what it said. */
export const IntegrationTestSchema = z
  .object({
    type: IntegrationTypeSchema,
    ok: z.boolean(),
    /** What was checked and found, or why it failed (never a secret). */
    detail: z.string(),
    /** The provider's HTTP status, when it answered. */
    provider_status: z.number().int().nullable(),
    /** Seconds the provider asked to wait (429 `Retry-After`). */
    retry_after_seconds: z.number().int().nullable(),
    checked_at: isoTimestamp,
  })
  .openapi("IntegrationTest");

/** A connection test's outcome. */
export type IntegrationTest = z.infer<typeof IntegrationTestSchema>;
