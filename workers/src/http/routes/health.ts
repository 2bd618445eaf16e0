import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createAnalyticsSink } from "../../analytics/create-sink";
import { encryptionKeysProblem } from "../../auth/secret-box";
import { jwtSecretProblem } from "../../auth/tokens";
import type { AppEnv } from "../app-env";
import { json, router } from "../openapi";

/** Version reported by `/healthz`; bumped with each release. */
export const VERSION = "0.1.0";

const READY_CHECK_TIMEOUT_MS = 2_000; // a dependency slower than this is not ready

/** One readiness check as anyone may see it: its name and whether it passed, nothing more. */
interface CheckResult {
  name: string;
  ok: boolean;
}

/**
 * Runs one dependency check. Its failure is logged with the dependency's own words; the caller,
 * who may be anyone, learns only that it failed (raw D1, R2 or vector store errors can carry
 * binding names, hosts or query text).
 */
async function probe(c: Context<AppEnv>, name: string, check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)), READY_CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (err) {
    c.get("logger").warn("readiness check failed", { check: name, error: err });
    return { name, ok: false };
  } finally {
    clearTimeout(timer);
  }
}

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
      const dependencies = await Promise.all([
        probe(c, "d1", () => c.env.DB.prepare("select 1").first()),
        probe(c, "r2", () => c.env.FILES.head("readyz-probe")),
        probe(c, "vector_store", async () => {
          if (c.env.VECTOR_STORE === "vectorize") {
            if (!c.env.VECTORIZE) throw new Error("VECTOR_STORE is vectorize but no VECTORIZE binding");
            await c.env.VECTORIZE.describe();
          } else {
            c.env.VECTOR_INDEX.idFromName("readyz");
          }
        }),
        probe(c, "analytics", () => createAnalyticsSink(c.env).ping()),
      ]);
      const secrets = secretChecks(c.env);
      const checks = [...dependencies, ...secrets];
      const ok = checks.every((ch) => ch.ok);
      const missing = secrets.filter((ch) => !ch.ok).map((ch) => ch.name);
      return c.json({ ok, checks, missing }, ok ? 200 : 503);
    },
  );
