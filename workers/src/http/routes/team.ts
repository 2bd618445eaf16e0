import { createRoute, z } from "@hono/zod-openapi";
import {
  idOf,
  InviteAcceptBody,
  InviteCreateBody,
  InviteSchema,
  InviteWithTokenSchema,
  page,
  PaginationQuery,
  SessionSchema,
  TeamMemberSchema,
  TeamRoleBody,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { actorOf } from "../../auth/principal";
import { tokenSecret } from "../../auth/tokens";
import { createDb } from "../../storage/db";
import {
  acceptInvite,
  changeRole,
  createInvite,
  listInvites,
  listMembers,
  removeMember,
  revokeInvite,
  toInvite,
  toTeamMember,
} from "../../auth/team";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";
import { limitCredentialCheck } from "../rate-limit/auth-limiter";

const UserParam = z.strictObject({ userId: idOf("usr").openapi({ param: { name: "userId", in: "path" } }) });
const InviteParam = z.strictObject({ id: idOf("inv").openapi({ param: { name: "id", in: "path" } }) });

/** The link a person opens to accept an invitation: the dashboard's invite page. */
function inviteUrl(dashboardUrl: string, token: string): string {
  return `${dashboardUrl.replace(/\/+$/, "")}/invite/${token}`;
}

/** The team: everyone sees it, admins change it. Accepting an invitation is public. */
export const teamRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/team",
      tags: ["team"],
      summary: "Members of the workspace, oldest first",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { query: PaginationQuery },
      responses: { 200: json(page(TeamMemberSchema)), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listMembers(createDb(c.env.DB), c.get("principal").workspaceId, limit, cursor);
      return c.json({ data: result.data.map(toTeamMember), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/team/invites",
      tags: ["team"],
      summary: "Invitations of the workspace, newest first",
      middleware: [authenticate({ minRole: "admin" })],
      request: { query: PaginationQuery },
      responses: { 200: json(page(InviteSchema)), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listInvites(createDb(c.env.DB), c.get("principal").workspaceId, limit, cursor);
      return c.json({ data: result.data.map((r) => toInvite(r)), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/team/invites",
      tags: ["team"],
      summary: "Invite someone by link; the link (valid 7 days, usable once) is shown once",
      middleware: [authenticate({ minRole: "admin" })],
      request: { body: jsonBody(InviteCreateBody) },
      responses: { 201: json(InviteWithTokenSchema), ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      const { row, token } = await createInvite(createDb(c.env.DB), p.workspaceId, body, actorOf(p).actor_id);
      await recordAudit(
        c.env,
        p,
        { action: "invite.created", targetType: "invite", targetId: row.id, metadata: { email: row.email, role: row.role } },
        auditContext(c),
      );
      return c.json({ ...toInvite(row), token, url: inviteUrl(c.env.DASHBOARD_URL, token) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/team/invites/{id}",
      tags: ["team"],
      summary: "Revoke a pending invitation",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: InviteParam },
      responses: { 200: json(InviteSchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const row = await revokeInvite(createDb(c.env.DB), p.workspaceId, id);
      await recordAudit(c.env, p, { action: "invite.revoked", targetType: "invite", targetId: id }, auditContext(c));
      return c.json(toInvite(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/invites/accept",
      tags: ["team"],
      summary: "Accept an invitation: create the account and sign in",
      description:
        "Any link that cannot be accepted (made up, used, revoked, expired, or for an email that has an account elsewhere) " +
        "gets the same 404. Limited per client address, with a growing back-off after failures (429 `rate_limited`).",
      request: { body: jsonBody(InviteAcceptBody) },
      responses: { 201: json(SessionSchema, "signed in to the workspace"), ...errorResponses(400, 404, 429, 503) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      tokenSecret(c.env); // refuse before an invitation is spent on a session that cannot be signed
      const { session, invite } = await limitCredentialCheck(c, {}, () => acceptInvite(createDb(c.env.DB), c.env, body));
      await recordAudit(
        c.env,
        { kind: "user", workspaceId: session.workspace.id, userId: session.user.id, role: session.user.role },
        { action: "invite.accepted", targetType: "invite", targetId: invite.id, metadata: { role: invite.role } },
        auditContext(c),
      );
      return c.json(session, 201);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/team/{userId}",
      tags: ["team"],
      summary: "Change a member's role (the last admin cannot be demoted)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: UserParam, body: jsonBody(TeamRoleBody) },
      responses: { 200: json(TeamMemberSchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { userId } = c.req.valid("param");
      const { role } = c.req.valid("json");
      const row = await changeRole(createDb(c.env.DB), p.workspaceId, userId, role);
      await recordAudit(c.env, p, { action: "user.role_changed", targetType: "user", targetId: userId, metadata: { role } }, auditContext(c));
      return c.json(toTeamMember(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/team/{userId}",
      tags: ["team"],
      summary: "Remove a member: their sessions end at once (not yourself, not the last admin)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: UserParam },
      responses: { 204: { description: "removed" }, ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { userId } = c.req.valid("param");
      await removeMember(createDb(c.env.DB), p.workspaceId, userId, p.kind === "user" ? p.userId : null);
      await recordAudit(c.env, p, { action: "user.removed", targetType: "user", targetId: userId }, auditContext(c));
      return c.body(null, 204);
    },
  );
