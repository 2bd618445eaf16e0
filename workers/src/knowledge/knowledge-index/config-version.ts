/**
 * The assistant's config version, kept in its knowledge index object. Conversations cache the
 * assistant's answering settings in their own SQLite and need to know, per message, whether that
 * copy is still current without reading D1. Every answer already makes one call to the
 * assistant's index (retrieval), so the index answers that call with the version too: the edit
 * path (PATCH and DELETE of an assistant) writes D1 first and then bumps the version here, and a
 * conversation that sees a version other than the one it cached reads D1 again.
 *
 * The version is an opaque random token, not a counter or a timestamp: erasing the index
 * (`deleteAll`, when the assistant is deleted) wipes it, and the next search mints a new one, so
 * a wiped index can never hand a conversation back the version it cached.
 */
import { meta, setMeta } from "./index-meta";
import { workspacePlace, type PlaceEnv } from "../../storage/data-region";

/** The current config version, minted (and stored) on first ask. */
export function currentConfigVersion(sql: SqlStorage): string {
  const held = meta(sql, "config_version");
  if (held !== null) return held;
  return bumpConfigVersion(sql);
}

/** Replaces the config version with a new one; returns it. */
export function bumpConfigVersion(sql: SqlStorage): string {
  const version = crypto.randomUUID();
  setMeta(sql, "config_version", version);
  return version;
}

/**
 * Tells the assistant's live conversations that its settings changed: called by the edit path
 * right after the assistant's D1 row is written (updated or deleted), never before.
 */
export async function announceAssistantChange(env: PlaceEnv, scope: { workspaceId: string; assistantId: string }): Promise<void> {
  await (await workspacePlace(env, scope.workspaceId)).knowledge.getByName(scope.assistantId).bumpConfigVersion(scope);
}
