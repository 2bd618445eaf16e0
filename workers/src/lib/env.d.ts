/**
 * Operational settings `wrangler types` cannot see (not in wrangler.toml, so their defaults
 * live in code): set them as variables of the deployment or in `.dev.vars`.
 */
interface OperationalSettings {
  /**
   * Minutes queued work (document ingestion, escalation notices) may show no progress before
   * the scheduled sweep sends it again; unset keeps each kind's default. See `stuck-work.ts`.
   */
  STUCK_WORK_TIMEOUT_MINUTES?: string;
  /**
   * Switches on the demo shop's order service (`actions/demo-orders.ts`) and is the bearer
   * token its callers present; `npm start` writes a random one to `.dev.vars`. Unset in production.
   */
  DEMO_ORDERS_KEY?: string;
  /**
   * Milliseconds a visitor has to approve a changing action before it is declined; capped at,
   * and by default, 60 s (`conversation/confirmations.ts`).
   */
  ACTION_CONFIRM_TIMEOUT_MS?: string;
  /**
   * Hours between the scheduled re-syncs of each Notion source (default 6); `off` leaves
   * re-syncing to the admins' `POST /notion-sources/:id/sync`. See `knowledge/notion/sources.ts`.
   */
  NOTION_RESYNC_HOURS?: string;
}

declare namespace Cloudflare {
  interface Env extends OperationalSettings {}
}
interface Env extends OperationalSettings {}
