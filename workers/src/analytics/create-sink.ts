import { D1AnalyticsSink } from "./d1-sink";
import type { AnalyticsSink } from "./sink";

/** The analytics sink this deployment is configured for. */
export function createAnalyticsSink(env: Env): AnalyticsSink {
  return new D1AnalyticsSink(env.DB);
}
