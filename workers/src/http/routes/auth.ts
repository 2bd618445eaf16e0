import { createRoute, z } from "@hono/zod-openapi";
import {
  LoginBody,
  PasswordChangeBody,
  RefreshBody,
  SessionSchema,
  SignUpBody,
  UserSchema,
  WorkspaceSchema,
} from "../../../../schema/api";
import { recordAudit, recordSignUpAttempt } from "../../analytics/audit";
import { seesSystemHealth } from "../../auth/operator";
import { changePassword, findActiveUser, logIn, logOut, refreshSession, signUp } from "../../auth/sessions";
import { createDb } from "../../storage/db";
import { tokenSecret } from "../../auth/tokens";
import { getWorkspace, toUser, toWorkspace } from "../../tenancy/workspaces";
import { authenticate } from "../middleware/authenticate";
import { ApiError } from "../../lib/errors";
import { limitCredentialCheck } from "../rate-limit/auth-limiter";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

/** Sign-up, sign-in and session routes of dashboard users. */
export const auth = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/workspaces",
      tags: ["auth"],
      summary: "Sign up: create a workspace and its first admin",
      description:
        "An email that already has an account gets the same 201 answer, but nothing is created and its tokens open nothing: " +
        "the answer never tells whether an address is registered. Limited per client address (429 `rate_limited`).",
      request: { body: jsonBody(SignUpBody) },
      responses: { 201: json(SessionSchema, "signed in to the new workspace"), ...errorResponses(400, 403, 429, 503) },
    }),
    async (c) => {
      if (c.env.SIGNUP_OPEN !== "true") throw new ApiError("forbidden", "sign-up is closed on this deployment");
      tokenSecret(c.env); // a deployment that cannot sign tokens must refuse before creating anything
      const { session, created, owner } = await limitCredentialCheck(c, {}, () => signUp(createDb(c.env.DB), c.env, c.req.valid("json")));
      if (!created) {
        // The account's own admins are told (in their audit log); the caller is not.
        if (owner) await recordSignUpAttempt(c.env, owner, auditContext(c));
        return c.json(session, 201);
      }
      await recordAudit(
        c.env,
        { kind: "user", workspaceId: session.workspace.id, userId: session.user.id, role: "admin" },
        { action: "workspace.created", targetType: "workspace", targetId: session.workspace.id },
        auditContext(c),
      );
      return c.json(session, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/login",
      tags: ["auth"],
      description:
        "Limited per client address and per email, with a growing back-off after failures (429 `rate_limited`). " +
        "A member of a workspace that requires single sign-on gets 403 `forbidden` with `reason: sso_required` (after a correct password).",
      request: { body: jsonBody(LoginBody) },
      responses: { 200: json(SessionSchema, "signed in"), ...errorResponses(400, 401, 403, 429, 503) },
    }),
    async (c) => {
      const { email, password } = c.req.valid("json");
      tokenSecret(c.env);
      return c.json(await limitCredentialCheck(c, { email }, () => logIn(createDb(c.env.DB), c.env, email, password)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/refresh",
      tags: ["auth"],
      summary: "Exchange a refresh token for a new pair (the old one is spent)",
      description: "Limited per client address, with a growing back-off after failures (429 `rate_limited`).",
      request: { body: jsonBody(RefreshBody) },
      responses: { 200: json(SessionSchema, "new tokens"), ...errorResponses(400, 401, 429, 503) },
    }),
    async (c) => {
      const { refresh_token } = c.req.valid("json");
      tokenSecret(c.env);
      return c.json(await limitCredentialCheck(c, {}, () => refreshSession(createDb(c.env.DB), c.env, refresh_token)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      tags: ["auth"],
      request: { body: jsonBody(RefreshBody) },
      responses: { 204: { description: "signed out" }, ...errorResponses(400) },
    }),
    async (c) => {
      await logOut(createDb(c.env.DB), c.req.valid("json").refresh_token);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/me",
      tags: ["auth"],
      middleware: [authenticate({ allow: ["user"] })],
      responses: {
        200: json(
          z.object({
            user: UserSchema,
            workspace: WorkspaceSchema,
            /** True for an admin of the deployment operator's workspace, who may see the system health. */
            system_health: z.boolean(),
          }),
        ),
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      if (p.kind !== "user") throw new ApiError("forbidden", "only dashboard users have a profile");
      const db = createDb(c.env.DB);
      const user = await findActiveUser(db, p.userId, p.workspaceId);
      if (!user) throw new ApiError("unauthorized", "user no longer exists");
      return c.json({ user: toUser(user), workspace: toWorkspace(await getWorkspace(db, p.workspaceId)), system_health: seesSystemHealth(c.env, p) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/password",
      tags: ["auth"],
      summary: "Change the signed-in user's password; other sessions are signed out",
      middleware: [authenticate({ allow: ["user"] })],
      request: { body: jsonBody(PasswordChangeBody) },
      responses: { 204: { description: "changed" }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      if (p.kind !== "user") throw new ApiError("forbidden", "only dashboard users have a password");
      const body = c.req.valid("json");
      await changePassword(createDb(c.env.DB), p.userId, body.current_password, body.new_password, p.sessionId ?? null);
      await recordAudit(c.env, p, { action: "user.password_changed", targetType: "user", targetId: p.userId }, auditContext(c));
      return c.body(null, 204);
    },
  );
