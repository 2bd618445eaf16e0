/** API keys: secret keys for servers, publishable keys for the widget; created, rotated, revoked. */
import { z } from "@hono/zod-openapi";
import { idOf, isoTimestamp, LIMITS, NameField, OriginSchema, RoleSchema } from "./common";

/** A key as lists show it: never the key itself. */
export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(["secret", "publishable"]),
    scope: z.enum(["admin", "manager", "viewer", "widget"]),
    prefix: z.string(),
    assistant_id: z.string().nullable(),
    allowed_origins: z.array(z.string()),
    expires_at: isoTimestamp.nullable(),
    last_used_at: isoTimestamp.nullable(),
    revoked_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
  })
  .openapi("ApiKey");

/** The one response that carries the full key: create and rotate. */
export const ApiKeyWithSecretSchema = ApiKeySchema.extend({ key: z.string() }).openapi("ApiKeyWithSecret");

/** Secret keys expire after 90 days unless told otherwise (API.md). */
export const DEFAULT_KEY_EXPIRY_DAYS = 90;
/** Longest life a secret key may be given: two years. */
export const MAX_KEY_EXPIRY_DAYS = 730;

/** A secret key for a server: a scope and an expiry. */
export const SecretKeyCreateBody = z.strictObject({
  name: NameField,
  type: z.literal("secret"),
  scope: RoleSchema,
  expires_in_days: z.number().int().min(1).max(MAX_KEY_EXPIRY_DAYS).optional(),
});

/** A publishable widget key: one assistant, an allow-list of origins. */
export const PublishableKeyCreateBody = z.strictObject({
  name: NameField,
  type: z.literal("publishable"),
  assistant_id: idOf("ast"),
  allowed_origins: z.array(OriginSchema).max(LIMITS.ORIGINS).optional(),
});

/** `type` defaults to `secret`; it picks the branch, so errors name the branch's own fields. */
export const ApiKeyCreateBody = z
  .preprocess(
    (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("type" in v) ? { ...v, type: "secret" } : v),
    z.discriminatedUnion("type", [SecretKeyCreateBody, PublishableKeyCreateBody]),
  )
  .openapi("ApiKeyCreate");

/** `POST /api-keys/:id/rotate`. */
export const ApiKeyRotateBody = z.strictObject({
  /** Seconds the replaced key keeps working, so deployments can switch without downtime. */
  overlap_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(0),
});

/** A key as the API lists it. */
export type ApiKey = z.infer<typeof ApiKeySchema>;
/** A just-created or rotated key, with its full value. */
export type ApiKeyWithSecret = z.infer<typeof ApiKeyWithSecretSchema>;
