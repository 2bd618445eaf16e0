import { createRoute, z } from "@hono/zod-openapi";
import { createAnalyticsSink } from "../../analytics/create-sink";
import { json, router } from "../openapi";

/** Version reported by `/healthz`; bumped with each release. */
export const VERSION = "0.1.0";

const READY_CHECK_TIMEOUT_MS = 2_000; // a dependency slower than this is not ready

async function timed(name: string, check: () => Promise<unknown>) {
  const started = Date.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), READY_CHECK_TIMEOUT_MS)),
    ]);
    return { name, ok: true, latency_ms: Date.now() - started };
  } catch (err) {
    return { name, ok: false, latency_ms: Date.now() - started, error: err instanceof Error ? err.message : "failed" };
  }
}

const Check = z.object({ name: z.string(), ok: z.boolean(), latency_ms: z.number(), error: z.string().optional() });

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
        200: json(z.object({ ok: z.boolean(), checks: z.array(Check) }), "every dependency answered"),
        503: json(z.object({ ok: z.boolean(), checks: z.array(Check) }), "a dependency failed"),
      },
    }),
    async (c) => {
      const checks = await Promise.all([
        timed("d1", () => c.env.DB.prepare("select 1").first()),
        timed("r2", () => c.env.FILES.head("readyz-probe")),
        timed("vector_store", async () => {
          if (c.env.VECTOR_STORE === "vectorize") {
            if (!c.env.VECTORIZE) throw new Error("VECTOR_STORE is vectorize but no VECTORIZE binding");
            await c.env.VECTORIZE.describe();
          } else {
            c.env.VECTOR_INDEX.idFromName("readyz");
          }
        }),
        timed("analytics", () => createAnalyticsSink(c.env).ping()),
      ]);
      const ok = checks.every((ch) => ch.ok);
      return c.json({ ok, checks }, ok ? 200 : 503);
    },
  );
