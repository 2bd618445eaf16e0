import { env } from "cloudflare:test";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { monthPartitionOf } from "./pg-partitions";
import { PostgresAnalyticsSink } from "./postgres-sink";
import { freshWorkspace, makeEvent } from "../../test/analytics-fixtures";

/** A direct client to the same database, for looking at the catalogue behind the sink's back. */
function catalogue() {
  // UTC session, so partition bounds print in the form `pgTime` expects.
  return postgres(env.TEST_HYPERDRIVE.connectionString, {
    max: 1,
    fetch_types: false,
    onnotice: () => {},
    connection: { TimeZone: "UTC" },
  });
}

/** Month partitions of `analytics_events` among `names`, with their bounds as Postgres prints them. */
async function attachedPartitions(names: string[]) {
  const sql = catalogue();
  const rows = await sql<{ name: string; bound: string }[]>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'analytics_events'::regclass and c.relname in ${sql(names)}
    order by c.relname`;
  return rows.map((r) => ({ name: r.name, bound: r.bound }));
}

/**
 * A month no one else uses: partitions are shared by every run against this database, so a
 * test that proves creation picks a random far-future month whose tables do not exist yet.
 */
async function unusedMonth(): Promise<{ first: string; next: string }> {
  for (;;) {
    const year = 2300 + Math.floor(Math.random() * 7000);
    const month = Math.floor(Math.random() * 12);
    const first = new Date(Date.UTC(year, month, 1)).toISOString();
    const next = new Date(Date.UTC(year, month + 1, 1)).toISOString();
    const names = [monthPartitionOf(new Date(first)).name, monthPartitionOf(new Date(next)).name];
    if ((await attachedPartitions(names)).length === 0) return { first, next };
  }
}

const createdHere: string[] = [];
afterEach(async () => {
  const sql = catalogue();
  for (const name of createdHere.splice(0)) await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`);
});

describe("month partitions", () => {
  it("names a partition by year and month and bounds it to that month, across a year end", () => {
    expect(monthPartitionOf(new Date("2026-12-31T23:59:59.999Z"))).toEqual({
      name: "analytics_events_y2026m12",
      from: "2026-12-01T00:00:00.000Z",
      to: "2027-01-01T00:00:00.000Z",
    });
    expect(monthPartitionOf(new Date("2027-01-01T00:00:00.000Z")).name).toBe("analytics_events_y2027m01");
  });

  it("creates the partition of each month an event batch touches", async () => {
    const { first, next } = await unusedMonth();
    const names = [monthPartitionOf(new Date(first)).name, monthPartitionOf(new Date(next)).name];
    createdHere.push(...names);
    const ws = freshWorkspace();
    const lastMoment = new Date(Date.parse(next) - 1).toISOString();
    const events = [makeEvent(ws, first), makeEvent(ws, lastMoment), makeEvent(ws, next)];

    await new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString).writeEvents(events);

    const partitions = await attachedPartitions(names);
    expect(partitions.map((p) => p.name)).toEqual(names);
    const [firstBound] = partitions.map((p) => p.bound);
    expect(firstBound).toBe(`FOR VALUES FROM ('${pgTime(first)}') TO ('${pgTime(next)}')`);
    const placed = await catalogue()<{ id: string; partition: string }[]>`
      select id, tableoid::regclass::text as partition from analytics_events where workspace_id = ${ws} order by created_at`;
    expect(placed.map((r) => r.partition)).toEqual([names[0], names[0], names[1]]);
  });

  it("creates a new month once when several writers race for it", async () => {
    const { first } = await unusedMonth();
    const name = monthPartitionOf(new Date(first)).name;
    createdHere.push(name);
    const ws = freshWorkspace();
    const events = Array.from({ length: 6 }, () => makeEvent(ws, first));

    await Promise.all(
      events.map((e) => new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString).writeEvents([e])),
    );

    expect((await attachedPartitions([name])).map((p) => p.name)).toEqual([name]);
    const stored = await new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString).listEvents(
      ws,
      first,
      monthPartitionOf(new Date(first)).to,
    );
    expect(stored).toHaveLength(events.length);
  });

  it("recreates a partition it remembered after the partition was dropped", async () => {
    const { first } = await unusedMonth();
    const name = monthPartitionOf(new Date(first)).name;
    createdHere.push(name);
    const ws = freshWorkspace();
    const sink = new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString);
    await sink.writeEvents([makeEvent(ws, first)]);
    await catalogue().unsafe(`DROP TABLE "${name}"`); // what retention does to an old month

    const again = makeEvent(ws, first);
    await sink.writeEvents([again]);

    expect((await attachedPartitions([name])).map((p) => p.name)).toEqual([name]);
    expect((await sink.listEvents(ws, first, monthPartitionOf(new Date(first)).to)).map((e) => e.id)).toEqual([again.id]);
  });
});

describe("PostgresAnalyticsSink", () => {
  it("returns times as ISO-8601 UTC strings, whatever offset they were written with", async () => {
    const sink = new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString);
    const ws = freshWorkspace();
    const event = makeEvent(ws, "2026-11-26T02:00:00.000+01:00");
    await sink.writeEvents([event]);

    const [stored] = await sink.listEvents(ws, "2026-11-26T00:00:00.000Z", "2026-11-27T00:00:00.000Z");
    expect(stored?.created_at).toBe("2026-11-26T01:00:00.000Z");
  });

  it("keeps millisecond precision, so window edges one millisecond apart are exact", async () => {
    const sink = new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString);
    const ws = freshWorkspace();
    const from = "2026-11-26T01:00:00.001Z";
    const times = [from, "2026-11-26T01:00:00.002Z", "2026-11-26T01:00:00.003Z"];
    await sink.writeEvents([makeEvent(ws, "2026-11-26T01:00:00.000Z"), ...times.map((t) => makeEvent(ws, t))]);
    const stored = await sink.listEvents(ws, from, "2026-11-26T01:00:00.003Z");
    expect(stored.map((e) => e.created_at)).toEqual(times.slice(0, 2));
  });

  it("rejects a time that is not ISO-8601 as invalid_request before querying", async () => {
    const sink = new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString);
    await expect(sink.listEvents(freshWorkspace(), "yesterday", "2026-11-27T00:00:00.000Z")).rejects.toMatchObject({
      code: "invalid_request",
      details: { field: "from" },
    });
  });
});

/** How Postgres prints a partition bound for an ISO UTC time (the session time zone is UTC). */
function pgTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.000Z$/, "+00");
}
