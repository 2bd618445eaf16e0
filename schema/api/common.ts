/**
 * What every resource's schemas share: field bounds, prefixed ids, timestamps, the error body,
 * pagination, roles and plans, and the fields sign-up, invites and settings have in common.
 */
import { z } from "@hono/zod-openapi";

/** Bounds on free text, so no field can carry a denial of service. */
export const LIMITS = {
  NAME_CHARS: 200,
  EMAIL_CHARS: 254, // RFC 5321 path limit
  PASSWORD_MIN_CHARS: 10,
  PASSWORD_MAX_CHARS: 256, // PBKDF2 input; long enough for any passphrase manager
  SYSTEM_PROMPT_CHARS: 20_000,
  ORIGINS: 50,
  ORIGIN_CHARS: 255,
  ID_CHARS: 80,
} as const;

/** A prefixed id such as `ast_…`; anything else is rejected before it reaches a query. */
export const idOf = (prefix: string) =>
  z
    .string()
    .max(LIMITS.ID_CHARS)
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{8,64}$`), `must be a ${prefix}_ id`);

/** A timestamp as the API writes it: ISO-8601 UTC. */
export const isoTimestamp = z.string().openapi({ example: "2026-11-26T01:00:00.000Z" });
/** A timestamp a client sends in a query (`from`, `to`): ISO-8601 UTC, no offset. */
export const isoDateTime = z.iso.datetime({ offset: false });

/** Error body of every failed request. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

/** `?limit=&cursor=` of every list. */
export const PaginationQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

/** `{data, next_cursor}` of every list. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** One page of a list. */
export type Page<T> = { data: T[]; next_cursor: string | null };

/** Dashboard roles and secret-key scopes. */
export const RoleSchema = z.enum(["admin", "manager", "viewer"]);
/** Billing plans. */
export const PlanSchema = z.enum(["starter", "pro", "enterprise"]);

/** An email address, trimmed and lower-cased. */
export const EmailField = z
  .string()
  .trim()
  .max(LIMITS.EMAIL_CHARS)
  .pipe(z.email())
  .transform((v) => v.toLowerCase());
/** A new password. */
export const PasswordField = z.string().min(LIMITS.PASSWORD_MIN_CHARS).max(LIMITS.PASSWORD_MAX_CHARS);
/** A display name (workspace, company, person, assistant, key). */
export const NameField = z.string().trim().min(1).max(LIMITS.NAME_CHARS);

/** An origin such as `https://shop.example.com` (scheme, host and optional port; no path). */
export const OriginSchema = z
  .string()
  .max(LIMITS.ORIGIN_CHARS)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "https:" || u.protocol === "http:") && u.origin === v;
    } catch {
      return false;
    }
  }, "must be an origin like https://example.com, with no path or trailing slash");

/** A dashboard role or secret-key scope. */
export type Role = z.infer<typeof RoleSchema>;
