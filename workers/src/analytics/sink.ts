/**
 * Where analytics events and audit logs are stored: Postgres through Hyperdrive when it is
 * configured (the reporting side at volume), D1 otherwise (the embedded default).
 */

/** One thing that happened, for the analytics summary and reports. */
export interface AnalyticsEvent {
  id: string;
  workspace_id: string;
  /** e.g. `conversation.created`, `message.answered`, `conversation.escalated`. */
  type: string;
  assistant_id?: string | null;
  conversation_id?: string | null;
  visitor_id?: string | null;
  channel?: string | null;
  latency_ms?: number | null;
  tokens?: number | null;
  cost_usd?: number | null;
  properties?: Record<string, unknown>;
  /** ISO-8601 UTC. */
  created_at: string;
  /** W3C trace context of the work that caused the event (queue body only, not stored). */
  traceparent?: string;
}

/** One audited action. Never holds secrets or erased personal data. */
export interface AuditEntry {
  id: string;
  workspace_id: string;
  actor_type: "user" | "api_key" | "system";
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  metadata: Record<string, unknown>;
  ip: string | null;
  request_id: string | null;
  created_at: string;
}

/** A page of audit entries, newest first. */
export interface AuditPage {
  data: AuditEntry[];
  next_cursor: string | null;
}

/** The seam between the Worker and the analytics store. */
export interface AnalyticsSink {
  /** Short name for logs and `/readyz`: `postgres` or `d1`. */
  readonly kind: "postgres" | "d1";
  /** Stores events; idempotent by event id, so a retried batch writes each once. */
  writeEvents(events: AnalyticsEvent[]): Promise<void>;
  /** Stores audit entries; idempotent by id. */
  writeAudit(entries: AuditEntry[]): Promise<void>;
  /** A workspace's audit log, newest first. */
  listAudit(workspaceId: string, limit: number, cursor?: string): Promise<AuditPage>;
  /** Events of a workspace in `[from, to)`, for summaries. */
  listEvents(workspaceId: string, from: string, to: string, types?: string[]): Promise<AnalyticsEvent[]>;
  /** Erases a visitor's events; returns how many were removed. */
  deleteVisitor(workspaceId: string, visitorId: string): Promise<number>;
  /** Erases every event and audit entry of a workspace. */
  deleteWorkspace(workspaceId: string): Promise<void>;
  /** Cheap liveness check for `/readyz`. */
  ping(): Promise<void>;
}
