import type { AnalyticsEvent } from "./sink";

/**
 * The `analytics_events` row of `event`, as both sinks insert it: every column present, absent
 * optional fields as null, absent properties as `{}`. `createdAt` is the event's time in the
 * store's own type (D1 keeps the ISO string, Postgres a `timestamptz`).
 */
export function eventRow<T>(event: AnalyticsEvent, createdAt: T) {
  return {
    id: event.id,
    workspace_id: event.workspace_id,
    type: event.type,
    assistant_id: event.assistant_id ?? null,
    conversation_id: event.conversation_id ?? null,
    visitor_id: event.visitor_id ?? null,
    channel: event.channel ?? null,
    latency_ms: event.latency_ms ?? null,
    tokens: event.tokens ?? null,
    cost_usd: event.cost_usd ?? null,
    properties: event.properties ?? {},
    created_at: createdAt,
  };
}
