import { and, asc, desc, eq, gte, inArray, lt, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "../../../schema/pg";
import { ApiError } from "../lib/errors";
import { chunked } from "../lib/chunked";
import { decodeCursor, toPage } from "../lib/pagination";
import { eventRow } from "./event-row";
import { ensureMonthPartitions, forgetMonthPartitions, monthPartitionsFor } from "./pg-partitions";
import type { AnalyticsEvent, AnalyticsSink, AuditEntry, AuditPage } from "./sink";

const { analytics_events, audit_logs } = schema;

/** Rows per insert statement: 12 columns × 2,000 = 24,000 parameters, under Postgres's 65,535. */
const EVENT_ROWS_PER_INSERT = 2_000;
const AUDIT_ROWS_PER_INSERT = 2_000; // 11 columns × 2,000 = 22,000 parameters

/** Connections per client: Hyperdrive pools server-side, and a Worker may hold 6 sockets. */
const MAX_CONNECTIONS = 5;

/** SQLSTATE Postgres raises when no partition accepts a row ("no partition of relation … found"). */
const NO_PARTITION_FOR_ROW = "23514";

/** Parses an ISO-8601 timestamp; garbage is a client error, never a query. */
function toDate(iso: string, field: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new ApiError("invalid_request", `${field} is not an ISO-8601 timestamp`, { field });
  return date;
}

/** The SQLSTATE of a Postgres error, looking through drizzle's wrapper. */
function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    if ("code" in e && typeof e.code === "string") return e.code;
  }
  return undefined;
}

type EventRow = typeof analytics_events.$inferSelect;
type AuditRow = typeof audit_logs.$inferSelect;

function eventFromRow(r: EventRow): AnalyticsEvent {
  return { ...r, created_at: r.created_at.toISOString() };
}

function auditFromRow(r: AuditRow): AuditEntry {
  return { ...r, created_at: r.created_at.toISOString() };
}

/** Analytics and audit in Postgres through Hyperdrive: the reporting side at volume. */
export class PostgresAnalyticsSink implements AnalyticsSink {
  readonly kind = "postgres" as const;
  private readonly client;
  private readonly db;

  /** `connectionString` is a Hyperdrive binding's; the client is per request, Hyperdrive pools. */
  constructor(connectionString: string) {
    // No `end()` anywhere: workerd closes the sockets with the request, and ending them
    // explicitly leaves a cancelled-stream rejection behind.
    this.client = postgres(connectionString, { max: MAX_CONNECTIONS, fetch_types: false });
    this.db = drizzle(this.client, { schema });
  }

  async writeEvents(events: AnalyticsEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => eventRow(e, toDate(e.created_at, "created_at")));
    const partitions = monthPartitionsFor(rows.map((r) => r.created_at));
    const insertAll = async () => {
      for (const part of chunked(rows, EVENT_ROWS_PER_INSERT)) {
        await this.db.insert(analytics_events).values(part).onConflictDoNothing();
      }
    };
    await ensureMonthPartitions(this.client, partitions);
    try {
      await insertAll();
    } catch (err) {
      // A partition this isolate remembered may have been dropped since (retention): re-check once.
      if (sqlState(err) !== NO_PARTITION_FOR_ROW) throw err;
      forgetMonthPartitions(partitions);
      await ensureMonthPartitions(this.client, partitions);
      await insertAll();
    }
  }

  async writeAudit(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({ ...e, created_at: toDate(e.created_at, "created_at") }));
    for (const part of chunked(rows, AUDIT_ROWS_PER_INSERT)) {
      await this.db.insert(audit_logs).values(part).onConflictDoNothing();
    }
  }

  async listAudit(workspaceId: string, limit: number, cursor?: string): Promise<AuditPage> {
    const after = decodeCursor(cursor);
    const afterTime = after ? toDate(after.t, "cursor") : undefined;
    const rows = await this.db
      .select()
      .from(audit_logs)
      .where(
        and(
          eq(audit_logs.workspace_id, workspaceId),
          after && afterTime
            ? or(lt(audit_logs.created_at, afterTime), and(eq(audit_logs.created_at, afterTime), lt(audit_logs.id, after.id)))
            : undefined,
        ),
      )
      .orderBy(desc(audit_logs.created_at), desc(audit_logs.id))
      .limit(limit + 1);
    return toPage(rows.map(auditFromRow), limit, (r) => r.created_at);
  }

  async listEvents(workspaceId: string, from: string, to: string, types?: string[]): Promise<AnalyticsEvent[]> {
    const rows = await this.db
      .select()
      .from(analytics_events)
      .where(
        and(
          eq(analytics_events.workspace_id, workspaceId),
          gte(analytics_events.created_at, toDate(from, "from")),
          lt(analytics_events.created_at, toDate(to, "to")),
          types && types.length > 0 ? inArray(analytics_events.type, types) : undefined,
        ),
      )
      .orderBy(asc(analytics_events.created_at), asc(analytics_events.id));
    return rows.map(eventFromRow);
  }

  async deleteVisitor(workspaceId: string, visitorId: string): Promise<number> {
    const deleted = await this.db
      .delete(analytics_events)
      .where(and(eq(analytics_events.workspace_id, workspaceId), eq(analytics_events.visitor_id, visitorId)))
      .returning({ id: analytics_events.id });
    return deleted.length;
  }

  async deleteWorkspace(workspaceId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(analytics_events).where(eq(analytics_events.workspace_id, workspaceId));
      await tx.delete(audit_logs).where(eq(audit_logs.workspace_id, workspaceId));
    });
  }

  async ping(): Promise<void> {
    await this.db.select({ id: audit_logs.id }).from(audit_logs).limit(1);
  }
}
