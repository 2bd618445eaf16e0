/**
 * The Postgres schema (through Hyperdrive): the high-volume reporting side, analytics events
 * and audit logs. Same columns as their D1 twins in `d1.ts`, with native types: `timestamptz`
 * for times and `jsonb` for structured values.
 *
 * `analytics_events` is partitioned by month on `created_at`. Drizzle cannot declare that, so
 * the `PARTITION BY RANGE` clause lives in the migration (`migrations/pg/0000_init.sql`) and the
 * month partitions are created on demand by the Worker
 * (`workers/src/analytics/pg-partitions.ts`).
 */
import { sql } from "drizzle-orm";
import { doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** `timestamptz` read and written as `Date`, so the API's ISO strings round-trip exactly. */
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * Analytics events, one partition per month. The primary key includes `created_at` because
 * Postgres requires the partition key in every unique constraint of a partitioned table; an
 * event is immutable, so a retried write carries the same `(id, created_at)` and is skipped.
 */
export const analytics_events = pgTable(
  "analytics_events",
  {
    id: text("id").notNull(),
    workspace_id: text("workspace_id").notNull(),
    type: text("type").notNull(),
    assistant_id: text("assistant_id"),
    conversation_id: text("conversation_id"),
    visitor_id: text("visitor_id"),
    channel: text("channel"),
    latency_ms: integer("latency_ms"),
    tokens: integer("tokens"),
    cost_usd: doublePrecision("cost_usd"),
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    created_at: timestamptz("created_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "analytics_events_pk", columns: [t.id, t.created_at] }),
    index("analytics_events_workspace_time_idx").on(t.workspace_id, t.created_at),
    index("analytics_events_workspace_type_idx").on(t.workspace_id, t.type, t.created_at),
    index("analytics_events_visitor_idx").on(t.workspace_id, t.visitor_id),
  ],
);

/** Who did what, when: every admin action and every erasure (without the erased data). */
export const audit_logs = pgTable(
  "audit_logs",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull(),
    actor_type: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actor_id: text("actor_id"),
    action: text("action").notNull(),
    target_type: text("target_type"),
    target_id: text("target_id"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    ip: text("ip"),
    request_id: text("request_id"),
    created_at: timestamptz("created_at").notNull(),
  },
  (t) => [index("audit_logs_workspace_time_idx").on(t.workspace_id, t.created_at, t.id)],
);
