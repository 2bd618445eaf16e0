/** Single sign-on with OpenID Connect: a workspace's provider settings and the sign-in flow. */
import { z } from "@hono/zod-openapi";
import { EmailField, isoTimestamp, LIMITS } from "./common";

/** An email domain like `acme.com`: lower-cased, no `@`, at least one dot. */
export const EmailDomainField = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a domain like acme.com");

/** Roles a member who first signs in through SSO may get; admin is never given this way. */
export const SsoDefaultRoleSchema = z.enum(["viewer", "manager"]);

/** The issuer URL of an OpenID provider, e.g. `https://accounts.google.com`. */
const IssuerField = z.url({ protocol: /^https?$/ }).max(2_048);

/** `PUT /workspace/sso`: the settings replace what was stored; `client_secret` absent keeps it, null clears it. */
export const SsoConfigUpdateBody = z
  .strictObject({
    enabled: z.boolean().default(true),
    issuer: IssuerField,
    client_id: z.string().trim().min(1).max(500),
    /** Write-only, stored encrypted. Without one the client is public (PKCE alone). */
    client_secret: z.string().min(1).max(4_096).nullable().optional(),
    allowed_domains: z.array(EmailDomainField).min(1).max(50),
    default_role: SsoDefaultRoleSchema.default("viewer"),
    /** Refuse password sign-in for the workspace's members (enterprise plan). */
    required: z.boolean().default(false),
  })
  .openapi("SsoConfigUpdate");

/** A workspace's SSO settings as admins read them; the client secret is never returned. */
export const SsoConfigSchema = z
  .object({
    configured: z.boolean(),
    enabled: z.boolean(),
    issuer: z.string().nullable(),
    client_id: z.string().nullable(),
    client_secret_set: z.boolean(),
    allowed_domains: z.array(z.string()),
    default_role: SsoDefaultRoleSchema,
    required: z.boolean(),
    /** The admin who keeps password sign-in while SSO is required (whoever switched it on). */
    break_glass_user_id: z.string().nullable(),
    /** The redirect URI to register with the provider. */
    redirect_uri: z.string(),
    updated_at: isoTimestamp.nullable(),
  })
  .openapi("SsoConfig");

/** `GET /auth/sso/start`: which workspace to sign in to (its id, or a member's email or domain) and where to go after. */
export const SsoStartQuery = z
  .strictObject({
    workspace: z.string().trim().max(LIMITS.ID_CHARS).optional(),
    email: EmailField.optional(),
    domain: EmailDomainField.optional(),
    /** A dashboard path to open after signing in. */
    next: z.string().max(2_048).optional(),
  })
  .refine((q) => [q.workspace, q.email, q.domain].filter(Boolean).length === 1, "give exactly one of workspace, email or domain");

/** `GET /auth/sso/callback`: what the provider sends back (validated by the OpenID client, not here). */
export const SsoCallbackQuery = z.record(z.string(), z.string());

/** `POST /auth/sso/exchange`: the one-time code the callback handed to the dashboard. */
export const SsoExchangeBody = z.strictObject({ code: z.string().min(1).max(200) }).openapi("SsoExchange");

/** SSO settings as the API shows them. */
export type SsoConfig = z.infer<typeof SsoConfigSchema>;
