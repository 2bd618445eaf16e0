import type { PhrasingMatch, ScoredPhrasing } from "../retrieval/backend";
import { tokens } from "../retrieval/tokens";
import type { PhrasingInput, PhrasingPage, PhrasingRecord } from "./index-types";
import { int8Cosine, type QuantizedVector } from "./quantize";

/**
 * Phrasings an index holds at most: their int8 vectors are kept in memory for the vector leg,
 * 15 MB at 1,536 dimensions, beside the chunk matrix's 80 MiB in an isolate of 128 MB.
 */
export const MAX_PHRASINGS_PER_INDEX = 10_000;
/** Ids per `IN (…)` list: under the 100 bound parameters a Durable Object's SQLite allows. */
const IDS_PER_QUERY = 90;
/** Marks FTS5's highlight() puts around each matched token (control characters; any already in the text are discounted). */
const MARK_OPEN = "\u0001";
const MARK_CLOSE = "\u0002";

/** A phrasing's row id and vector, as the vector leg reads them. */
interface PhrasingVector {
  id: string;
  documentId: string;
  codes: Int8Array;
}

/**
 * The learned phrasings of one knowledge index, in the object's SQLite (`phrasings`, its FTS5
 * index `phrasings_fts`, and `phrasing_vectors` for the local vector store). The count and the
 * vectors are cached in memory and dropped on every write; the rows are the truth.
 */
export class PhrasingStore {
  private count: number | null = null;
  private vectors: PhrasingVector[] | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Forgets the cached count and vectors (after any write, or when storage was wiped). */
  invalidate(): void {
    this.count = null;
    this.vectors = null;
  }

  /** Phrasings held. */
  size(): number {
    this.count ??= this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM phrasings").one().n;
    return this.count;
  }

  /**
   * Stores a phrasing, or returns the one that already says the same for the same document
   * (`created: false`). Callers check `size()` against `MAX_PHRASINGS_PER_INDEX` first.
   */
  insert(input: PhrasingInput, vector: QuantizedVector | null, now: string): { record: PhrasingRecord; created: boolean } {
    const same = this.find(input.documentId, input.text);
    if (same) return { record: same, created: false };
    const seq = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO phrasings (id, document_id, text, visitor_id, conversation_id, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        input.id,
        input.documentId,
        input.text,
        input.visitorId,
        input.conversationId,
        input.createdBy,
        now,
      )
      .one().seq;
    if (vector) this.sql.exec("INSERT INTO phrasing_vectors (phrasing_seq, scale, codes) VALUES (?, ?, ?)", seq, vector.scale, toBlob(vector.codes));
    this.invalidate();
    return { record: this.get(input.id)!, created: true };
  }

  /** Replaces (or, with null, removes) a phrasing's vector. */
  setVector(id: string, vector: QuantizedVector | null): void {
    const seq = this.sql.exec<{ seq: number }>("SELECT seq FROM phrasings WHERE id = ?", id).toArray()[0]?.seq;
    if (seq === undefined) return;
    if (vector) this.sql.exec("INSERT OR REPLACE INTO phrasing_vectors (phrasing_seq, scale, codes) VALUES (?, ?, ?)", seq, vector.scale, toBlob(vector.codes));
    else this.sql.exec("DELETE FROM phrasing_vectors WHERE phrasing_seq = ?", seq);
    this.vectors = null;
  }

  /** The phrasing of `documentId` that says exactly `text`, or null. */
  find(documentId: string, text: string): PhrasingRecord | null {
    return this.sql.exec<PhrasingRecord>(`SELECT ${COLUMNS} FROM phrasings WHERE document_id = ? AND text = ?`, documentId, text).toArray()[0] ?? null;
  }

  /** One phrasing, or null. */
  get(id: string): PhrasingRecord | null {
    return this.sql.exec<PhrasingRecord>(`SELECT ${COLUMNS} FROM phrasings WHERE id = ?`, id).toArray()[0] ?? null;
  }

  /** A document's phrasings, newest first, `limit` after `after`. */
  page(documentId: string, limit: number, after?: { created_at: string; id: string }): PhrasingPage {
    const rows = after
      ? this.sql.exec<PhrasingRecord>(
          `SELECT ${COLUMNS} FROM phrasings WHERE document_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
            ORDER BY created_at DESC, id DESC LIMIT ?`,
          documentId,
          after.created_at,
          after.created_at,
          after.id,
          limit + 1,
        )
      : this.sql.exec<PhrasingRecord>(`SELECT ${COLUMNS} FROM phrasings WHERE document_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, documentId, limit + 1);
    const all = rows.toArray();
    const data = all.slice(0, limit);
    const last = data[data.length - 1];
    return { data, after: all.length > limit && last ? { created_at: last.created_at, id: last.id } : null };
  }

  /** Every phrasing in a visitor's words, oldest first. */
  byVisitor(visitorId: string): PhrasingRecord[] {
    return this.sql.exec<PhrasingRecord>(`SELECT ${COLUMNS} FROM phrasings WHERE visitor_id = ? ORDER BY created_at, id`, visitorId).toArray();
  }

  /** Every phrasing's id (to remove their vectors from Vectorize). */
  ids(): string[] {
    return this.sql.exec<{ id: string }>("SELECT id FROM phrasings").toArray().map((r) => r.id);
  }

  /** Deletes phrasings (the triggers take their keyword rows and vectors along); returns the ids removed. */
  delete(where: { id: string } | { documentId: string } | { visitorId: string }): string[] {
    const [column, value] = "id" in where ? ["id", where.id] : "documentId" in where ? ["document_id", where.documentId] : ["visitor_id", where.visitorId];
    const removed = this.sql.exec<{ id: string }>(`DELETE FROM phrasings WHERE ${column} = ? RETURNING id`, value).toArray().map((r) => r.id);
    if (removed.length > 0) this.invalidate();
    return removed;
  }

  /** The documents of these phrasing ids (those that still exist). */
  documentsOf(ids: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const part = ids.slice(i, i + IDS_PER_QUERY);
      const rows = this.sql.exec<{ id: string; document_id: string }>(
        `SELECT id, document_id FROM phrasings WHERE id IN (${part.map(() => "?").join(", ")})`,
        ...part,
      );
      for (const r of rows) out.set(r.id, r.document_id);
    }
    return out;
  }

  /**
   * Phrasings containing any of `terms`, each with how often each term occurs in it. One FTS5
   * query per term (a term is matched stemmed, as in the chunks' index, and `highlight()` marks
   * each of its occurrences), at most `limit` phrasings per term, the best-matching first.
   */
  matching(terms: readonly string[], limit: number): PhrasingMatch[] {
    if (terms.length === 0 || limit < 1 || this.size() === 0) return [];
    const found = new Map<string, PhrasingMatch>();
    terms.forEach((term, i) => {
      const rows = this.sql.exec<{ id: string; document_id: string; text: string; marked: string }>(
        `SELECT p.id, p.document_id, p.text, highlight(phrasings_fts, 0, ?, ?) AS marked
           FROM phrasings_fts JOIN phrasings p ON p.seq = phrasings_fts.rowid
          WHERE phrasings_fts MATCH ?
          ORDER BY rank
          LIMIT ?`,
        MARK_OPEN,
        MARK_CLOSE,
        `"${term.replace(/"/g, '""')}"`,
        Math.floor(limit),
      );
      for (const r of rows) {
        let match = found.get(r.id);
        if (!match) {
          match = { phrasingId: r.id, documentId: r.document_id, length: tokens(r.text).length, frequencies: terms.map(() => 0) };
          found.set(r.id, match);
        }
        match.frequencies[i] = occurrences(r.marked, MARK_OPEN) - occurrences(r.text, MARK_OPEN);
      }
    });
    return [...found.values()];
  }

  /** Phrasings nearest to a unit query vector by int8 cosine, best first; vectors of another dimension are skipped. */
  nearest(query: Float32Array, limit: number): ScoredPhrasing[] {
    if (limit < 1 || this.size() === 0) return [];
    const scored: ScoredPhrasing[] = [];
    for (const v of this.loadVectors()) {
      if (v.codes.length === query.length) scored.push({ phrasingId: v.id, documentId: v.documentId, score: int8Cosine(query, v.codes) });
    }
    return scored.sort((a, b) => b.score - a.score || (a.phrasingId < b.phrasingId ? -1 : 1)).slice(0, limit);
  }

  private loadVectors(): PhrasingVector[] {
    this.vectors ??= this.sql
      .exec<{ id: string; document_id: string; codes: ArrayBuffer }>(
        "SELECT p.id, p.document_id, v.codes FROM phrasing_vectors v JOIN phrasings p ON p.seq = v.phrasing_seq",
      )
      .toArray()
      .map((r) => ({ id: r.id, documentId: r.document_id, codes: new Int8Array(r.codes) }));
    return this.vectors;
  }
}

const COLUMNS = "id, document_id, text, visitor_id, conversation_id, created_by, created_at";

function toBlob(codes: Int8Array): ArrayBuffer {
  return codes.buffer.slice(codes.byteOffset, codes.byteOffset + codes.byteLength) as ArrayBuffer;
}

function occurrences(text: string, mark: string): number {
  return text.split(mark).length - 1;
}
