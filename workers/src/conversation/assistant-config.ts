/**
 * The assistant's answering settings (system prompt, tone, model policy, escalation threshold)
 * as a conversation uses them. The OpenAI-compatible endpoint, which has no object to keep
 * anything in, reads them from D1 per request (`loadAnsweringAssistant`). A conversation object
 * keeps a copy in its SQLite instead (`AssistantConfigCache`), tagged with the assistant's config
 * version at the time it was read, and reads D1 again only when that version is no longer the
 * current one (`isCurrentConfig`).
 *
 * Why this design: the version lives in the assistant's `KnowledgeIndexDO`
 * (`knowledge/knowledge-index/config-version.ts`), which every answer calls anyway for
 * retrieval; that call returns the version alongside the hits, so checking costs no extra call
 * and no D1 query per message. The edit path writes D1, then bumps the version; the conversation
 * reads the version, then D1 — so a copy tagged with the version it saw holds every edit that
 * version announces. Deletion bumps the version as well (and wipes the index, which mints a new
 * one), and a deleted assistant is cached as deleted for good: such a conversation hands off
 * without asking anyone. Kept in SQLite, not in fields, so eviction and hibernation cost at most
 * one D1 read. `CONFIG_MAX_AGE_MS` bounds how stale a copy can get should an announcement fail.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { ModelPolicy } from "../../../schema/api";
import { createDb, schema } from "../storage/db";
import type { AnsweringAssistant } from "./answer";
import type { Row } from "./store-rows";

/** An assistant's answering settings, plus the confidence below which it hands off. */
export type AssistantConfig = AnsweringAssistant & { escalation_threshold: number };

/**
 * Longest a cached copy answers without being read again even when the version says it is
 * current: a lost version bump (the index out of reach during an edit) heals within this.
 */
export const CONFIG_MAX_AGE_MS = 5 * 60_000;

/** The live assistant's settings from D1; null when deleted. */
export async function loadAnsweringAssistant(d1: D1Database, workspaceId: string, assistantId: string): Promise<AssistantConfig | null> {
  const { assistants } = schema;
  const row = await createDb(d1)
    .select({
      id: assistants.id,
      workspace_id: assistants.workspace_id,
      system_prompt: assistants.system_prompt,
      tone: assistants.tone,
      model_policy: assistants.model_policy,
      escalation_threshold: assistants.escalation_threshold,
    })
    .from(assistants)
    .where(and(eq(assistants.id, assistantId), eq(assistants.workspace_id, workspaceId), isNull(assistants.deleted_at)))
    .get();
  return row ? { ...row, model_policy: row.model_policy as ModelPolicy } : null;
}

/** A conversation's copy of its assistant's settings. */
export interface CachedAssistantConfig {
  /** The config version the copy was read at. */
  version: string;
  /** The settings; null when the assistant was deleted. */
  config: AssistantConfig | null;
  /** When it was read from D1 (ms epoch). */
  loadedAt: number;
}

/** Whether `cached` may answer when the assistant's current version is `version`. */
export function isCurrentConfig(cached: CachedAssistantConfig | null, version: string, now: number): cached is CachedAssistantConfig {
  if (!cached) return false;
  if (cached.config === null) return true; // deleted assistants stay deleted
  return cached.version === version && now - cached.loadedAt < CONFIG_MAX_AGE_MS;
}

/** The `assistant_config` table of a conversation object: one row, the copy in use. */
export class AssistantConfigCache {
  constructor(private readonly sql: SqlStorage) {}

  /** The copy held, or null before the first answer. */
  get(): CachedAssistantConfig | null {
    const row = this.sql.exec("SELECT version, config, loaded_at FROM assistant_config WHERE id = 1").toArray()[0] as Row | undefined;
    if (!row) return null;
    return {
      version: row.version as string,
      config: row.config === null ? null : (JSON.parse(row.config as string) as AssistantConfig),
      loadedAt: row.loaded_at as number,
    };
  }

  /** Replaces the copy. */
  put(copy: CachedAssistantConfig): void {
    this.sql.exec(
      `INSERT INTO assistant_config (id, version, config, loaded_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, config = excluded.config, loaded_at = excluded.loaded_at`,
      copy.version,
      copy.config === null ? null : JSON.stringify(copy.config),
      copy.loadedAt,
    );
  }
}
