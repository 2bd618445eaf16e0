/** Analytics: the summary of conversations, answers, costs and satisfaction over a period. */
import { z } from "@hono/zod-openapi";
import { idOf, isoDateTime, isoTimestamp } from "./common";
import { ChannelSchema } from "./conversations";

/** `GET /analytics/summary` filters. */
export const AnalyticsSummaryQuery = z.strictObject({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  assistant_id: idOf("ast").optional(),
  channel: ChannelSchema.optional(),
});

/** Conversations, answers, latency, cost, satisfaction and unanswered questions of a period. */
export const AnalyticsSummarySchema = z
  .object({
    from: isoTimestamp,
    to: isoTimestamp,
    conversations: z.number().int(),
    messages: z.number().int(),
    resolution_rate: z.number().nullable(),
    escalation_rate: z.number().nullable(),
    csat_avg: z.number().nullable(),
    csat_responses: z.number().int(),
    latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
    tokens: z.number().int(),
    estimated_cost_usd: z.number(),
    top_unanswered_questions: z.array(z.object({ question: z.string(), count: z.number().int() })),
  })
  .openapi("AnalyticsSummary");

/** The analytics summary of a period. */
export type AnalyticsSummary = z.infer<typeof AnalyticsSummarySchema>;

/** `GET /analytics/system` period. */
export const SystemHealthQuery = z.strictObject({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

/** Milliseconds at the 50th, 95th and 99th percentiles; null when nothing was measured. */
const PercentilesSchema = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() });

/** The deployment's health over a period: requests, answered messages and queue jobs of every workspace. */
export const SystemHealthSchema = z
  .object({
    from: isoTimestamp,
    to: isoTimestamp,
    /** Where the numbers were read: the local D1 store or Workers Analytics Engine. */
    source: z.enum(["d1", "analytics_engine"]),
    requests: z.object({
      count: z.number().int(),
      /** Answers with a 5xx status. */
      errors: z.number().int(),
      /** Share of 5xx answers (0..1); null without requests. */
      error_rate: z.number().nullable(),
      per_minute: z.number(),
      latency_ms: PercentilesSchema,
    }),
    /** The busiest routes (by pattern, never the raw path), most requests first. */
    routes: z.array(
      z.object({ method: z.string(), route: z.string(), count: z.number().int(), errors: z.number().int(), avg_ms: z.number().nullable() }),
    ),
    messages: z.object({
      count: z.number().int(),
      per_minute: z.number(),
      tokens: z.number().int(),
      first_delta_ms: PercentilesSchema,
      latency_ms: PercentilesSchema,
      retrieval_ms: PercentilesSchema,
      llm_ms: PercentilesSchema,
    }),
    /** Queue jobs by queue: how many ran, and how many were retried or failed. */
    queues: z.array(
      z.object({ queue: z.string(), jobs: z.number().int(), ok: z.number().int(), retried: z.number().int(), failed: z.number().int() }),
    ),
  })
  .openapi("SystemHealth");

/** The deployment's health over a period. */
export type SystemHealth = z.infer<typeof SystemHealthSchema>;
