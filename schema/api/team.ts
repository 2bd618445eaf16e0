/** The workspace's team: its members and the invitations that add them. */
import { z } from "@hono/zod-openapi";
import { EmailField, isoTimestamp, NameField, PasswordField, RoleSchema } from "./common";
import { UserSchema } from "./workspaces-auth";

/** A member of the workspace as the team page shows it. */
export const TeamMemberSchema = UserSchema.extend({ last_login_at: isoTimestamp.nullable() }).openapi("TeamMember");

/** Days an invitation link stays valid. */
export const INVITE_TTL_DAYS = 7;

/** An invitation to join with a role. */
export const InviteCreateBody = z.strictObject({ email: EmailField, role: RoleSchema }).openapi("InviteCreate");

/** An invitation as the team page lists it. */
export const InviteSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleSchema,
    status: z.enum(["pending", "accepted", "revoked", "expired"]),
    invited_by: z.string().nullable(),
    expires_at: isoTimestamp,
    accepted_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Invite");

/** The create answer: the only time the link's token is shown. */
export const InviteWithTokenSchema = InviteSchema.extend({ token: z.string(), url: z.string() }).openapi("InviteWithToken");

/** Accepting an invitation: its token, and the new member's password and name. */
export const InviteAcceptBody = z
  .strictObject({ token: z.string().min(1).max(200), password: PasswordField, name: NameField.optional() })
  .openapi("InviteAccept");

/** A member's new role. */
export const TeamRoleBody = z.strictObject({ role: RoleSchema }).openapi("TeamRoleChange");

/** A team member as the API shows them. */
export type TeamMember = z.infer<typeof TeamMemberSchema>;
/** An invitation as the API shows it. */
export type Invite = z.infer<typeof InviteSchema>;
/** A just-created invitation, with its link. */
export type InviteWithToken = z.infer<typeof InviteWithTokenSchema>;
