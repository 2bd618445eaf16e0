import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/errors";
import { D1AnalyticsSink } from "./d1-sink";
import { PostgresAnalyticsSink } from "./postgres-sink";
import type { AnalyticsEvent, AnalyticsSink, AuditEntry } from "./sink";
import { byId, freshWorkspace, makeAudit, makeEvent } from "../../test/analytics-fixtures";

/** Every adapter behind `AnalyticsSink` must pass the same specification. */
const adapters: { name: string; kind: AnalyticsSink["kind"]; create: () => AnalyticsSink }[] = [
  { name: "D1", kind: "d1", create: () => new D1AnalyticsSink(env.DB) },
  { name: "Postgres", kind: "postgres", create: () => new PostgresAnalyticsSink(env.TEST_HYPERDRIVE.connectionString) },
];

/** Reads back every event of a workspace: a window wide enough for any test time. */
function allEvents(sink: AnalyticsSink, workspaceId: string) {
  return sink.listEvents(workspaceId, "2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z");
}

/** Follows `next_cursor` until the last page; returns the pages. */
async function allAuditPages(sink: AnalyticsSink, workspaceId: string, limit: number) {
  const pages: AuditEntry[][] = [];
  let cursor: string | undefined;
  do {
    const page = await sink.listAudit(workspaceId, limit, cursor);
    pages.push(page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && pages.length < 50);
  return pages;
}

describe.each(adapters)("AnalyticsSink contract: $name", ({ kind, create }) => {
  it("names its kind", () => {
    expect(create().kind).toBe(kind);
  });

  it("round-trips events with every field, and fills absent ones with null", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const full: AnalyticsEvent = makeEvent(ws, "2026-11-26T01:00:00.000Z", {
      type: "message.answered",
      assistant_id: "ast_0000000001",
      conversation_id: "conv_000000001",
      visitor_id: "visitor-1",
      channel: "web",
      latency_ms: 1234,
      tokens: 567,
      cost_usd: 0.000123,
      properties: { model: "extractive", confidence: 0.82, sources: ["doc_1", "doc_2"], nested: { ok: true } },
    });
    const bare = makeEvent(ws, "2026-11-26T01:00:00.500Z", { type: "conversation.created" });
    await sink.writeEvents([full, bare]);

    expect(byId(await allEvents(sink, ws))).toEqual(
      byId([
        full,
        {
          ...bare,
          assistant_id: null,
          conversation_id: null,
          visitor_id: null,
          channel: null,
          latency_ms: null,
          tokens: null,
          cost_usd: null,
          properties: {},
        },
      ]),
    );
  });

  it("round-trips audit entries", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const entry = makeAudit(ws, "2026-11-26T01:00:00.000Z", {
      actor_type: "user",
      actor_id: "usr_0000000001",
      action: "assistant.deleted",
      target_type: "assistant",
      target_id: "ast_0000000001",
      metadata: { name: "Support bot", changes: ["deleted"] },
      ip: "203.0.113.7",
      request_id: "req_0000000001",
    });
    await sink.writeAudit([entry]);

    expect(await sink.listAudit(ws, 10)).toEqual({ data: [entry], next_cursor: null });
  });

  it("writes each event and audit entry once when the same ids are written again", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const events = [makeEvent(ws, "2026-11-01T00:00:00.000Z"), makeEvent(ws, "2026-12-31T23:59:59.999Z")];
    const audit = [makeAudit(ws, "2026-11-02T00:00:00.000Z")];
    await sink.writeEvents(events);
    await sink.writeAudit(audit);
    // A redelivered queue batch: the same ids again, alongside one new event.
    const extra = makeEvent(ws, "2026-11-15T12:00:00.000Z");
    await sink.writeEvents([...events, extra]);
    await sink.writeAudit(audit);
    await create().writeEvents(events);

    expect((await allEvents(sink, ws)).map((e) => e.id).sort()).toEqual([...events, extra].map((e) => e.id).sort());
    expect((await sink.listAudit(ws, 10)).data.map((e) => e.id)).toEqual(audit.map((e) => e.id));
  });

  it("writes nothing and fails nothing for empty batches", async () => {
    const sink = create();
    await expect(sink.writeEvents([])).resolves.toBeUndefined();
    await expect(sink.writeAudit([])).resolves.toBeUndefined();
  });

  it("pages the audit log newest first, breaking time ties by id, with opaque cursors", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const other = freshWorkspace();
    // Same time, ids differing only in their last character: the tie-break order is plain.
    const tieId = (n: number) => `aud_${ws.slice(3)}${n}`;
    const entries = [
      makeAudit(ws, "2026-10-31T23:59:59.999Z"),
      makeAudit(ws, "2026-11-01T00:00:00.000Z"),
      makeAudit(ws, "2026-11-02T08:30:00.000Z", { id: tieId(1) }),
      makeAudit(ws, "2026-11-02T08:30:00.000Z", { id: tieId(2) }),
      makeAudit(ws, "2026-11-02T08:30:00.000Z", { id: tieId(3) }),
      makeAudit(ws, "2026-11-03T00:00:00.000Z"),
      makeAudit(ws, "2027-01-01T00:00:00.000Z"),
    ];
    // Written out of order and in two batches: the sink orders, not the writer.
    await sink.writeAudit(entries.slice(3).reverse());
    await sink.writeAudit(entries.slice(0, 3));
    await sink.writeAudit([makeAudit(other, "2026-11-02T08:30:00.000Z")]);

    const expected = [...entries].sort((a, b) =>
      a.created_at !== b.created_at ? (a.created_at < b.created_at ? 1 : -1) : a.id < b.id ? 1 : -1,
    );
    const pages = await allAuditPages(sink, ws, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat()).toEqual(expected);

    const first = await sink.listAudit(ws, 3);
    expect(first.data).toEqual(expected.slice(0, 3));
    expect(first.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const exact = await sink.listAudit(ws, entries.length);
    expect(exact).toEqual({ data: expected, next_cursor: null });
    expect(await sink.listAudit(freshWorkspace(), 5)).toEqual({ data: [], next_cursor: null });
  });

  it("rejects a tampered cursor as invalid_request", async () => {
    const sink = create();
    const attempt = sink.listAudit(freshWorkspace(), 5, "not-a-cursor");
    await expect(attempt).rejects.toBeInstanceOf(ApiError);
    await expect(attempt).rejects.toMatchObject({ code: "invalid_request", status: 400 });
  });

  it("lists events in [from, to) and filters them by type", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const before = makeEvent(ws, "2026-10-31T23:59:59.999Z", { type: "conversation.created" });
    const atFrom = makeEvent(ws, "2026-11-01T00:00:00.000Z", { type: "conversation.created" });
    const inside = makeEvent(ws, "2026-11-15T10:00:00.000Z", { type: "message.answered" });
    const escalated = makeEvent(ws, "2026-11-20T10:00:00.000Z", { type: "conversation.escalated" });
    const atTo = makeEvent(ws, "2026-12-01T00:00:00.000Z", { type: "message.answered" });
    await sink.writeEvents([before, atFrom, inside, escalated, atTo]);
    await sink.writeEvents([makeEvent(freshWorkspace(), "2026-11-15T10:00:00.000Z")]);

    const from = "2026-11-01T00:00:00.000Z";
    const to = "2026-12-01T00:00:00.000Z";
    const ids = (rows: AnalyticsEvent[]) => rows.map((e) => e.id).sort();
    expect(ids(await sink.listEvents(ws, from, to))).toEqual(ids([atFrom, inside, escalated]));
    expect(ids(await sink.listEvents(ws, from, to, []))).toEqual(ids([atFrom, inside, escalated]));
    expect(ids(await sink.listEvents(ws, from, to, ["message.answered"]))).toEqual(ids([inside]));
    expect(ids(await sink.listEvents(ws, from, to, ["conversation.created", "conversation.escalated"]))).toEqual(
      ids([atFrom, escalated]),
    );
    expect(await sink.listEvents(ws, from, to, ["no.such.type"])).toEqual([]);
    expect(await sink.listEvents(ws, "2026-11-16T00:00:00.000Z", "2026-11-16T00:00:00.000Z")).toEqual([]);
  });

  it("erases one visitor's events in one workspace and says how many", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const other = freshWorkspace();
    const theirs = [
      makeEvent(ws, "2026-11-01T00:00:00.000Z", { visitor_id: "visitor-a" }),
      makeEvent(ws, "2026-12-01T00:00:00.000Z", { visitor_id: "visitor-a" }),
    ];
    const someoneElse = makeEvent(ws, "2026-11-01T00:00:00.000Z", { visitor_id: "visitor-b" });
    const anonymous = makeEvent(ws, "2026-11-01T00:00:00.000Z");
    const sameIdElsewhere = makeEvent(other, "2026-11-01T00:00:00.000Z", { visitor_id: "visitor-a" });
    await sink.writeEvents([...theirs, someoneElse, anonymous, sameIdElsewhere]);

    expect(await sink.deleteVisitor(ws, "visitor-a")).toBe(2);
    expect((await allEvents(sink, ws)).map((e) => e.id).sort()).toEqual([someoneElse.id, anonymous.id].sort());
    expect((await allEvents(sink, other)).map((e) => e.id)).toEqual([sameIdElsewhere.id]);
    expect(await sink.deleteVisitor(ws, "visitor-a")).toBe(0);
  });

  it("erases every event and audit entry of a workspace, and nothing of another", async () => {
    const sink = create();
    const ws = freshWorkspace();
    const other = freshWorkspace();
    await sink.writeEvents([makeEvent(ws, "2026-11-01T00:00:00.000Z"), makeEvent(ws, "2026-12-05T00:00:00.000Z")]);
    await sink.writeAudit([makeAudit(ws, "2026-11-01T00:00:00.000Z")]);
    const keptEvent = makeEvent(other, "2026-11-01T00:00:00.000Z");
    const keptAudit = makeAudit(other, "2026-11-01T00:00:00.000Z");
    await sink.writeEvents([keptEvent]);
    await sink.writeAudit([keptAudit]);

    await sink.deleteWorkspace(ws);

    expect(await allEvents(sink, ws)).toEqual([]);
    expect(await sink.listAudit(ws, 10)).toEqual({ data: [], next_cursor: null });
    expect((await allEvents(sink, other)).map((e) => e.id)).toEqual([keptEvent.id]);
    expect((await sink.listAudit(other, 10)).data).toEqual([keptAudit]);
  });

  it("answers ping when the store is reachable", async () => {
    await expect(create().ping()).resolves.toBeUndefined();
  });
});
