/**
 * The `meta` table of a knowledge index object: its schema version, owning workspace, vector
 * dimension, the progress of the first-use import and the assistant's config version
 * (`config-version.ts`), one row per key.
 */

/** The keys the index keeps in `meta`. */
export type MetaKey = "schema_version" | "workspace_id" | "dimensions" | "legacy_import" | "legacy_cursor" | "config_version";

/** The value stored under `key`, or null. */
export function meta(sql: SqlStorage, key: MetaKey): string | null {
  return sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
}

/** Stores `value` under `key`. */
export function setMeta(sql: SqlStorage, key: MetaKey, value: string): void {
  sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
}
