import { and, desc, eq, gte, inArray, lt } from "drizzle-orm";
import { chunked } from "../lib/chunked";
import { olderThan, toPage } from "../lib/pagination";
import { createDb, schema } from "../storage/db";
import { eventRow } from "./event-row";
import type { AnalyticsEvent, AnalyticsSink, AuditEntry } from "./sink";

const { analytics_events, audit_logs } = schema;

/** D1 rows per insert statement; keeps bound parameters under D1's 100-per-statement limit. */
const EVENT_ROWS_PER_INSERT = 7; // 13 columns × 7 = 91 parameters
const AUDIT_ROWS_PER_INSERT = 9; // 11 columns × 9 = 99 parameters

/** Analytics and audit in D1: the default when no Hyperdrive binding is configured. */
export class D1AnalyticsSink implements AnalyticsSink {
  readonly kind = "d1" as const;
  private readonly db;

  constructor(d1: D1Database) {
    this.db = createDb(d1);
  }

  async writeEvents(events: AnalyticsEvent[]): Promise<void> {
    if (events.length === 0) return;
    const statements = chunked(events, EVENT_ROWS_PER_INSERT).map((rows) =>
      this.db
        .insert(analytics_events)
        .values(rows.map((e) => eventRow(e, e.created_at)))
        .onConflictDoNothing(),
    );
    await this.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  }

  async writeAudit(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const statements = chunked(entries, AUDIT_ROWS_PER_INSERT).map((rows) =>
      this.db.insert(audit_logs).values(rows).onConflictDoNothing(),
    );
    await this.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  }

  async listAudit(workspaceId: string, limit: number, cursor?: string) {
    const rows = await this.db
      .select()
      .from(audit_logs)
      .where(
        and(
          eq(audit_logs.workspace_id, workspaceId),
          olderThan(audit_logs.created_at, audit_logs.id, cursor),
        ),
      )
      .orderBy(desc(audit_logs.created_at), desc(audit_logs.id))
      .limit(limit + 1)
      .all();
    const entries = rows.map((r) => ({ ...r, metadata: r.metadata as Record<string, unknown> }));
    return toPage(entries, limit, (r) => r.created_at);
  }

  async listEvents(workspaceId: string, from: string, to: string, types?: string[]) {
    const rows = await this.db
      .select()
      .from(analytics_events)
      .where(
        and(
          eq(analytics_events.workspace_id, workspaceId),
          gte(analytics_events.created_at, from),
          lt(analytics_events.created_at, to),
          types && types.length > 0 ? inArray(analytics_events.type, types) : undefined,
        ),
      )
      .all();
    return rows.map((r) => ({ ...r, properties: r.properties as Record<string, unknown> }));
  }

  async deleteVisitor(workspaceId: string, visitorId: string): Promise<number> {
    const deleted = await this.db
      .delete(analytics_events)
      .where(and(eq(analytics_events.workspace_id, workspaceId), eq(analytics_events.visitor_id, visitorId)))
      .returning({ id: analytics_events.id })
      .all();
    return deleted.length;
  }

  async deleteWorkspace(workspaceId: string): Promise<void> {
    await this.db.batch([
      this.db.delete(analytics_events).where(eq(analytics_events.workspace_id, workspaceId)),
      this.db.delete(audit_logs).where(eq(audit_logs.workspace_id, workspaceId)),
    ]);
  }

  async ping(): Promise<void> {
    await this.db.select({ id: audit_logs.id }).from(audit_logs).limit(1).all();
  }
}
