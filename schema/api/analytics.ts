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
