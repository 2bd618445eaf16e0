/**
 * Builders for the analytics tests: events and audit entries with unique ids, in a workspace
 * of their own, so test runs never collide in the shared Postgres database.
 */
import { newId } from "../src/lib/ids";
import type { AnalyticsEvent, AuditEntry } from "../src/analytics/sink";

/** A fresh workspace id: every test writes under its own. */
export function freshWorkspace(): string {
  return newId("workspace");
}

/** An analytics event with only the required fields set, unless `overrides` adds more. */
export function makeEvent(workspaceId: string, createdAt: string, overrides: Partial<AnalyticsEvent> = {}): AnalyticsEvent {
  return { id: newId("event"), workspace_id: workspaceId, type: "message.answered", created_at: createdAt, ...overrides };
}

/** An audit entry by a system actor, unless `overrides` says otherwise. */
export function makeAudit(workspaceId: string, createdAt: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: newId("audit"),
    workspace_id: workspaceId,
    actor_type: "system",
    actor_id: null,
    action: "api_key.created",
    target_type: null,
    target_id: null,
    metadata: {},
    ip: null,
    request_id: null,
    created_at: createdAt,
    ...overrides,
  };
}

/** Events as a sink returns them, in a stable order for comparison (sinks promise none). */
export function byId<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
