-- Analytics events and audit logs. Generated from schema/pg.ts, with one edit drizzle cannot
-- express: analytics_events is PARTITIONED BY RANGE (created_at), one partition per month,
-- named analytics_events_yYYYYmMM and created on demand by the Worker before it inserts
-- (workers/src/analytics/pg-partitions.ts). There is deliberately no DEFAULT partition: rows
-- parked there would block creating their month's partition later.
CREATE TABLE "analytics_events" (
	"id" text NOT NULL,
	"workspace_id" text NOT NULL,
	"type" text NOT NULL,
	"assistant_id" text,
	"conversation_id" text,
	"visitor_id" text,
	"channel" text,
	"latency_ms" integer,
	"tokens" integer,
	"cost_usd" double precision,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "analytics_events_pk" PRIMARY KEY("id","created_at")
) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
CREATE TABLE "audit_logs" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ip" text,
	"request_id" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "analytics_events_workspace_time_idx" ON "analytics_events" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "analytics_events_workspace_type_idx" ON "analytics_events" USING btree ("workspace_id","type","created_at");--> statement-breakpoint
CREATE INDEX "analytics_events_visitor_idx" ON "analytics_events" USING btree ("workspace_id","visitor_id");--> statement-breakpoint
CREATE INDEX "audit_logs_workspace_time_idx" ON "audit_logs" USING btree ("workspace_id","created_at","id");