import { createMiddleware } from "hono/factory";
import type { Principal, Role } from "../../auth/principal";
import { roleAtLeast } from "../../auth/principal";
import { resolvePrincipal } from "../../auth/resolve";
import { createDb } from "../../storage/db";
import type { AppEnv } from "../app-env";
import { ApiError } from "../../lib/errors";
import { rateLimit } from "../rate-limit/middleware";

type PrincipalKind = Principal["kind"];

/** Routes of the dashboard and secret keys: users and secret keys only. */
export const STAFF: PrincipalKind[] = ["user", "secret_key"];
/** Visitor routes: also the widget's publishable key and conversation tokens. */
export const ANYONE: PrincipalKind[] = ["user", "secret_key", "publishable_key", "conversation"];

/** The credential of an `Authorization: Bearer …` header, if it has one. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Resolves the caller (401 when nothing valid was presented), counts the call against the
 * caller's rate limits (429 when over), and, when `minRole` is given, requires a staff
 * principal with at least that role (403 otherwise).
 */
export function authenticate(opts: { allow?: PrincipalKind[]; minRole?: Role } = {}) {
  const allow = opts.allow ?? STAFF;
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await resolvePrincipal(
      createDb(c.env.DB),
      c.env,
      { bearer: bearerOf(c.req.header("authorization")), origin: c.req.header("origin") },
      (p) => c.executionCtx.waitUntil(p),
    );
    if (!principal) throw new ApiError("unauthorized", "missing or invalid credentials");
    c.set("principal", principal);
    // Every authenticated call is counted, authorised or not: a credential that keeps knocking
    // on a door it cannot open costs a lookup per knock all the same.
    await rateLimit(c, async () => {
      if (!allow.includes(principal.kind)) throw new ApiError("forbidden", "these credentials cannot use this route");
      if (opts.minRole) {
        if ((principal.kind !== "user" && principal.kind !== "secret_key") || !roleAtLeast(principal.role, opts.minRole)) {
          throw new ApiError("forbidden", `this action needs the ${opts.minRole} role`, { required_role: opts.minRole });
        }
      }
      await next();
    });
  });
}
