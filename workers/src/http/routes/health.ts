import { createRoute, z } from "@hono/zod-openapi";
import { encryptionKeysProblem } from "../../auth/secret-box";
import { jwtSecretProblem } from "../../auth/tokens";
import { dependencyChecks, type CheckResult } from "../../monitoring/readiness";
import { json, router } from "../openapi";

/** Version reported by `/healthz`; bumped with each release. */
export const VERSION = "0.1.0";

/** The secrets the Worker cannot serve sign-in, tokens or integrations without, checked by name. */
function secretChecks(env: Env): CheckResult[] {
  return [
    { name: "JWT_SECRET", ok: jwtSecretProblem(env) === null },
    { name: "ENCRYPTION_KEYS", ok: encryptionKeysProblem(env) === null },
  ];
}

const Check = z.object({ name: z.string(), ok: z.boolean() });
const Readiness = z.object({
  ok: z.boolean(),
  checks: z.array(Check),
  /** Names of required secrets that are missing or unusable (never their values). */
  missing: z.array(z.string()),
});

/** Liveness and readiness probes. */
export const health = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["health"],
      responses: { 200: json(z.object({ ok: z.literal(true), version: z.string() }), "the Worker is up") },
    }),
    (c) => c.json({ ok: true as const, version: VERSION }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/readyz",
      tags: ["health"],
      responses: {
        200: json(Readiness, "every dependency answered and every required secret is set"),
        503: json(Readiness, "a dependency failed or a required secret is missing"),
      },
    }),
    async (c) => {
      // A failure is logged with the dependency's own words; the caller, who may be anyone, learns
      // only that it failed (raw D1, R2 or vector store errors can carry binding names, hosts or query text).
      const logger = c.get("logger");
      const dependencies = await dependencyChecks(c.env, (check, error) => logger.warn("readiness check failed", { check, error }));
      const secrets = secretChecks(c.env);
      const checks = [...dependencies, ...secrets];
      const ok = checks.every((ch) => ch.ok);
      const missing = secrets.filter((ch) => !ch.ok).map((ch) => ch.name);
      return c.json({ ok, checks, missing }, ok ? 200 : 503);
    },
  );
