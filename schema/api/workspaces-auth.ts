/** Workspaces, their users and sessions: sign-up, sign-in, tokens, passwords and settings. */
import { z } from "@hono/zod-openapi";
import { EmailField, isoTimestamp, LIMITS, NameField, PasswordField, PlanSchema, RoleSchema } from "./common";

/**
 * Where a workspace's conversations, knowledge and files live: `eu` keeps them in Cloudflare's
 * EU jurisdiction; `default` lets Cloudflare place them. Chosen at sign-up, fixed after.
 */
export const DataRegionSchema = z.enum(["default", "eu"]).openapi("DataRegion");

/** A workspace: one business, its plan, its retention and where its data lives. */
export const WorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    company_name: z.string().nullable(),
    plan: PlanSchema,
    retention_days: z.number().int().nullable(),
    data_region: DataRegionSchema,
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Workspace");

/** A dashboard user. */
export const UserSchema = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: RoleSchema,
    created_at: isoTimestamp,
  })
  .openapi("User");

/** `POST /workspaces`: a new workspace and its first admin. */
export const SignUpBody = z
  .strictObject({
    workspace_name: NameField,
    company_name: NameField.optional(),
    email: EmailField,
    password: PasswordField,
    /** Where the workspace's data lives; `default` when absent. Cannot be changed later. */
    data_region: DataRegionSchema.optional(),
  })
  .openapi("SignUp");

/** What sign-up, sign-in and refresh answer: who signed in, and their tokens. */
export const SessionSchema = z
  .object({
    workspace: WorkspaceSchema,
    user: UserSchema,
    access_token: z.string(),
    access_token_expires_at: isoTimestamp,
    refresh_token: z.string(),
    refresh_token_expires_at: isoTimestamp,
  })
  .openapi("Session");

/** Sign-in with email and password. */
export const LoginBody = z.strictObject({ email: EmailField, password: z.string().min(1).max(LIMITS.PASSWORD_MAX_CHARS) });
/** A refresh token traded for a new session. */
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) });
/** A signed-in user's password change. */
export const PasswordChangeBody = z.strictObject({
  current_password: z.string().min(1).max(LIMITS.PASSWORD_MAX_CHARS),
  new_password: PasswordField,
});

/** Longest retention a workspace may choose: ten years. */
export const MAX_RETENTION_DAYS = 3_650;

/** The workspace settings an admin may change. */
export const WorkspaceUpdateBody = z
  .strictObject({
    name: NameField.optional(),
    company_name: NameField.nullable().optional(),
    /** Days after which conversations are deleted; null keeps them forever. */
    retention_days: z.number().int().min(1).max(MAX_RETENTION_DAYS).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "at least one field must be given")
  .openapi("WorkspaceUpdate");

/** Deleting a workspace is confirmed by typing its name. */
export const WorkspaceDeleteBody = z.strictObject({ confirm_name: z.string().min(1).max(LIMITS.NAME_CHARS) });

/** A workspace as the API shows it. */
export type Workspace = z.infer<typeof WorkspaceSchema>;
/** Where a workspace's data lives. */
export type DataRegion = z.infer<typeof DataRegionSchema>;
/** A dashboard user as the API shows them. */
export type User = z.infer<typeof UserSchema>;
/** A signed-in session. */
export type Session = z.infer<typeof SessionSchema>;
