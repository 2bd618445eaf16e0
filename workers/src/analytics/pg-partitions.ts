/**
 * Month partitions of the Postgres `analytics_events` table, created on demand before rows
 * for a new month are inserted. Each isolate remembers the partitions it has seen, so the
 * hot path costs nothing once a month exists.
 */
import type { Sql } from "postgres";

/** One month partition of `analytics_events`: its table name and `[from, to)` bounds (ISO UTC). */
export interface MonthPartition {
  name: string;
  from: string;
  to: string;
}

const PARENT_TABLE = "analytics_events";

/**
 * First key of the two-key advisory lock space, naming "analytics partition creation"; the
 * second key is the hash of the partition's name, so only creators of the same month wait.
 */
const PARTITION_LOCK_NAMESPACE = 727_002;

/** Years a partition name can hold: four digits keep `analytics_events_yYYYYmMM` a plain identifier. */
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

/** Partitions known to exist, per isolate. Memory is only a cache: a miss re-checks Postgres. */
const knownPartitions = new Set<string>();

/** The month partition that holds a row created at `createdAt`. */
export function monthPartitionOf(createdAt: Date): MonthPartition {
  const year = createdAt.getUTCFullYear();
  const month = createdAt.getUTCMonth();
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`analytics event time ${String(createdAt)} is outside years ${MIN_YEAR}-${MAX_YEAR}`);
  }
  return {
    name: `${PARENT_TABLE}_y${year}m${String(month + 1).padStart(2, "0")}`,
    from: new Date(Date.UTC(year, month, 1)).toISOString(),
    to: new Date(Date.UTC(year, month + 1, 1)).toISOString(),
  };
}

/** The distinct month partitions that rows created at `times` fall into. */
export function monthPartitionsFor(times: Date[]): MonthPartition[] {
  const byName = new Map<string, MonthPartition>();
  for (const t of times) {
    const p = monthPartitionOf(t);
    byName.set(p.name, p);
  }
  return [...byName.values()];
}

/**
 * Makes sure every partition in `partitions` exists. Safe under concurrency: creators of the
 * same month serialise on an advisory lock held for their transaction, and the one that comes
 * second sees the table the first committed instead of racing it into a duplicate.
 */
export async function ensureMonthPartitions(client: Sql, partitions: MonthPartition[]): Promise<void> {
  for (const p of partitions) {
    if (knownPartitions.has(p.name)) continue;
    await client.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${PARTITION_LOCK_NAMESPACE}, hashtext(${p.name}))`;
      const [row] = await tx<{ present: boolean }[]>`select to_regclass(${p.name}) is not null as present`;
      if (row?.present) return;
      // DDL takes no bind parameters; every interpolated piece is built above from integers.
      await tx.unsafe(
        `CREATE TABLE IF NOT EXISTS "${p.name}" PARTITION OF "${PARENT_TABLE}" ` +
          `FOR VALUES FROM ('${p.from}') TO ('${p.to}')`,
      );
    });
    knownPartitions.add(p.name);
  }
}

/** Drops remembered partitions, e.g. after Postgres said one is missing (dropped by retention). */
export function forgetMonthPartitions(partitions: MonthPartition[]): void {
  for (const p of partitions) knownPartitions.delete(p.name);
}
