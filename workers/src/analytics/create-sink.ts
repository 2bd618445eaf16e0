import { D1AnalyticsSink } from "./d1-sink";
import { PostgresAnalyticsSink } from "./postgres-sink";
import type { AnalyticsSink } from "./sink";

/**
 * The analytics sink this deployment is configured for: Postgres through Hyperdrive when the
 * `HYPERDRIVE` binding exists, D1 otherwise (the embedded default that needs no server).
 */
export function createAnalyticsSink(env: Env): AnalyticsSink {
  if (env.HYPERDRIVE) return new PostgresAnalyticsSink(env.HYPERDRIVE.connectionString);
  return new D1AnalyticsSink(env.DB);
}
