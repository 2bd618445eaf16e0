// Over 400 lines: one thin method per RPC the index answers; the work is in the modules it imports.
import { DurableObject } from "cloudflare:workers";
import { createLogger } from "../../lib/logger";
import { continueTrace, runInTrace } from "../../lib/trace-context";
import { toUnitVector } from "../embeddings/vector-math";
import type { RetrieveRequest, ScoredChunk } from "../retrieval/backend";
import { createReranker } from "../retrieval/create-reranker";
import { retrieve, type RetrieveExtras } from "../retrieval/pipeline";
import { createVectorStore } from "../vector-store/create-vector-store";
import { chunked } from "../../lib/chunked";
import { MAX_DIMENSIONS } from "../vector-store/limits";
import type { VectorStore } from "../vector-store/vector-store";
import { checkCapacity, insertChunk, insertVector, removeDocumentRows, toBlob, type StagedRow } from "./chunk-rows";
import type { CodeMatrix } from "./code-matrix";
import { bumpConfigVersion, currentConfigVersion } from "./config-version";
import * as indexMeta from "./index-meta";
import type { MetaKey } from "./index-meta";
import type { AddedPhrasing, ChunkInput, IndexDocument, IndexScope, IndexStats, PhrasingInput, PhrasingPage, PhrasingRecord, SearchHit } from "./index-types";
import { importLegacyChunks, removeLegacyChunks } from "./legacy-import";
import { onePerSearch, PhrasingIndex, type VectorizeQuery } from "./phrasing-index";
import { PhrasingStore } from "./phrasing-store";
import { quantizeInt8 } from "./quantize";
import { INDEX_MIGRATIONS, INDEX_SCHEMA_VERSION } from "./schema";
import { hits } from "./search-hits";
import { SqliteRetrievalBackend } from "./sqlite-backend";
import { TermCounts } from "./term-counts";
import { localVectorLeg, matrixFromRows, vectorizeLeg } from "./vector-legs";

/**
 * One assistant's knowledge index: its chunks, their FTS5 keyword index and (with the `local`
 * vector store) their vectors, all in the object's SQLite; named by the assistant id. Keyword
 * statistics are the assistant's own, so one workspace's documents never move another's ranks.
 * Search runs the ranking strategy (`retrieve`) against this object's own data in one call.
 *
 * Vectors (`local`): int8 with a per-vector scale in SQLite; an int4 copy in memory, built on the
 * first vector search after the object wakes and kept in step with writes, proposes candidates
 * that are re-scored exactly from the int8 rows. With `VECTOR_STORE=vectorize` the object keeps
 * no vectors and its vector leg asks Vectorize (namespace = assistant id) from here.
 *
 * On first use the object moves in the assistant's rows of the former shared D1 index
 * (`kb_chunks`, vectors from `LocalVectorIndexDO`) and deletes them there (see legacy-import.ts).
 */
export class KnowledgeIndexDO extends DurableObject<Env> {
  private schemaReady = false;
  // Cache of the vector rows; null until the first vector search, and after eviction or `deleteAll`.
  private matrix: CodeMatrix | null = null;
  // The first-use import, shared by the calls that arrive while it runs.
  private legacy: Promise<void> | null = null;
  // Keyword statistics (chunk count, chunks per query word), forgotten on every write.
  private readonly termCounts = new TermCounts();
  private readonly log = createLogger({ component: "knowledge.index" });
  private readonly phrasingRows: PhrasingStore;
  private readonly phrasings: PhrasingIndex;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Tables are made by the first call that needs them (`migrate`), so an object only asked
    // `searchIfClaimed` about an assistant it never held stores nothing.
    this.phrasingRows = new PhrasingStore(ctx.storage.sql);
    this.phrasings = new PhrasingIndex(this.phrasingRows, {
      vectorize: () => this.vectorize(),
      quantize: (vector) => this.prepareVector(vector),
      transaction: (write) => this.ctx.storage.transactionSync(write),
    });
  }

  /**
   * Stores chunks of a document too large for one call; `replaceDocument` with the same
   * `stagingId` swaps them in with its own. Staged chunks are invisible to search.
   */
  async stageChunks(scope: IndexScope, stagingId: string, document: IndexDocument, chunks: ChunkInput[]): Promise<void> {
    await this.open(scope);
    const prepared = this.prepareVectors(chunks);
    await this.upsertVectorize(scope, document.documentId, chunks);
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      chunks.forEach((c, i) => {
        const v = prepared[i];
        sql.exec(
          `INSERT OR REPLACE INTO staged_chunks (staging_id, document_id, id, ord, title, heading, content, content_hash, token_count, source_url, scale, codes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          stagingId,
          document.documentId,
          c.id,
          c.ordinal,
          document.title,
          c.heading,
          c.content,
          c.contentHash,
          c.tokenCount,
          document.sourceUrl,
          v?.scale ?? null,
          v ? toBlob(v.codes) : null,
        );
      });
    });
  }

  /**
   * Replaces a document's chunks (and vectors) with `chunks`, plus those staged under
   * `stagingId`, in one transaction: a search sees the old version or the new one, never a mix.
   * Returns the number of chunks the document now has.
   */
  async replaceDocument(scope: IndexScope, document: IndexDocument, chunks: ChunkInput[], stagingId?: string): Promise<number> {
    await this.open(scope);
    const prepared = this.prepareVectors(chunks);
    // Vectorize first: new ids without a chunk row are never returned, so searches stay whole.
    await this.upsertVectorize(scope, document.documentId, chunks);
    const sql = this.ctx.storage.sql;
    const written: { seq: number; codes: Int8Array }[] = [];
    const { removed, total } = this.ctx.storage.transactionSync(() => {
      const removed = removeDocumentRows(this.ctx.storage.sql, document.documentId);
      if (stagingId) {
        const staged = sql.exec<StagedRow>(
          "SELECT id, ord, title, heading, content, content_hash, token_count, source_url, scale, codes FROM staged_chunks WHERE staging_id = ? AND document_id = ?",
          stagingId,
          document.documentId,
        );
        for (const s of staged.toArray()) {
          const codes = s.codes ? new Int8Array(s.codes) : null;
          const seq = insertChunk(this.ctx.storage.sql, s.id, document.documentId, s.ord, s.title, s.heading, s.content, s.content_hash, s.token_count, s.source_url);
          if (codes && s.scale !== null) written.push({ seq, codes: insertVector(this.ctx.storage.sql, seq, s.scale, codes) });
        }
        sql.exec("DELETE FROM staged_chunks WHERE staging_id = ?", stagingId);
      }
      chunks.forEach((c, i) => {
        const seq = insertChunk(this.ctx.storage.sql, c.id, document.documentId, c.ordinal, document.title, c.heading, c.content, c.contentHash, c.tokenCount, document.sourceUrl);
        const v = prepared[i];
        if (v) written.push({ seq, codes: insertVector(this.ctx.storage.sql, seq, v.scale, v.codes) });
      });
      // Staged rows of an earlier, abandoned attempt at this document.
      sql.exec("DELETE FROM staged_chunks WHERE document_id = ?", document.documentId);
      checkCapacity(this.ctx.storage.sql);
      const total = sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunks WHERE document_id = ?", document.documentId).one().n;
      return { removed, total };
    });
    this.termCounts.invalidate();
    this.syncMatrix(removed.map((r) => r.seq), written);
    await this.deleteVectorize(scope, removed.map((r) => r.id));
    return total;
  }

  /** Removes a document's chunks, keyword rows, vectors and learned phrasings; returns how many chunks it had. */
  async deleteDocument(scope: IndexScope, documentId: string): Promise<number> {
    await this.open(scope);
    const { removed, phrasings } = this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM staged_chunks WHERE document_id = ?", documentId);
      return { removed: removeDocumentRows(this.ctx.storage.sql, documentId), phrasings: this.phrasingRows.delete({ documentId }) };
    });
    this.termCounts.invalidate();
    this.syncMatrix(removed.map((r) => r.seq), []);
    await this.deleteVectorize(scope, [...removed.map((r) => r.id), ...phrasings]);
    return removed.length;
  }

  /**
   * Erases the whole index (assistant deleted, workspace erased): chunks, keyword index,
   * vectors (in Vectorize too), and the assistant's rows still in the former shared D1 index.
   */
  async deleteAll(scope: IndexScope): Promise<void> {
    this.migrate();
    this.checkWorkspace(scope);
    // A first-use import still running would write into the wiped storage: let it finish first.
    await this.legacy?.catch(() => undefined);
    const vectorize = this.vectorize();
    if (vectorize) {
      const ids = this.ctx.storage.sql
        .exec<{ id: string }>("SELECT id FROM chunks UNION SELECT id FROM staged_chunks UNION SELECT id FROM phrasings")
        .toArray()
        .map((r) => r.id);
      for (const batch of chunked(ids, 1000)) await vectorize.deleteByIds(scope.assistantId, batch);
    }
    await removeLegacyChunks(this.env, scope, vectorize);
    await this.ctx.storage.deleteAll();
    this.termCounts.invalidate();
    this.phrasingRows.invalidate();
    this.matrix = null;
    this.schemaReady = false;
    this.legacy = null;
    this.migrate();
  }

  /** Ranks the assistant's chunks for a question with the retrieval strategy; hits best first. */
  async search(scope: IndexScope, request: RetrieveRequest): Promise<SearchHit[]> {
    await this.open(scope);
    // With Vectorize, one query per search answers both the chunks' and the phrasings' vector legs.
    const vectorizeMatches = onePerSearch((store: VectorStore, q: readonly number[], limit: number) => store.query(scope.assistantId, [...q], { topK: limit }));
    const backend = new SqliteRetrievalBackend(this.ctx.storage.sql, (q, limit) => this.vectorLeg(scope, q, limit, vectorizeMatches), this.termCounts, {
      store: this.phrasingRows,
      nearest: (q, limit) => this.phrasings.nearest(scope, q, limit, vectorizeMatches),
    });
    const extras: RetrieveExtras = {
      reranker: this.reranker(),
      onRerankError: (err: unknown) => this.log.warn("reranking failed; first-pass order", { error: err }),
    };
    const ranked = await retrieve(backend, request, extras).catch(async (err: unknown) => {
      if (request.mode !== "hybrid") throw err;
      // Vectorize down: answers come from keyword search alone rather than not at all.
      this.log.warn("vector search failed; keyword only", { error: err });
      return retrieve(backend, { ...request, mode: "keyword", queryVector: null }, extras);
    });
    return hits(this.ctx.storage.sql, ranked);
  }

  /**
   * `search` for a caller that has not yet checked that its workspace owns the assistant (the
   * search route runs that check alongside, to save a round trip): answers only when the index
   * is already claimed by `scope.workspaceId` and has finished its first-use import, and null
   * otherwise, without claiming the index or importing anything. The caller then searches the
   * ordinary way, once its check has passed.
   */
  async searchIfClaimed(scope: IndexScope, request: RetrieveRequest): Promise<SearchHit[] | null> {
    if (!this.schemaReady && !this.hasTables()) return null; // never written: nothing to find, and nothing is created
    this.migrate();
    if (this.meta("workspace_id") !== scope.workspaceId || this.meta("legacy_import") !== "1") return null;
    return this.search(scope, request);
  }

  /**
   * `search`, plus the assistant's config version (see config-version.ts): how a conversation
   * learns in the call it makes anyway whether its copy of the assistant's settings is current.
   * Runs in the trace of the caller's `traceparent` (the visitor message being answered).
   */
  async searchForAnswer(scope: IndexScope, request: RetrieveRequest, traceparent?: string): Promise<{ hits: SearchHit[]; configVersion: string }> {
    return runInTrace(continueTrace(traceparent), async () => {
      const hits = await this.search(scope, request);
      this.log.info("searched for an answer", { assistant_id: scope.assistantId, hits: hits.length });
      return { hits, configVersion: currentConfigVersion(this.ctx.storage.sql) };
    });
  }

  /** Marks the assistant's settings changed (its D1 row was just written); returns the new version. */
  async bumpConfigVersion(scope: IndexScope): Promise<string> {
    this.migrate();
    this.checkWorkspace(scope);
    return bumpConfigVersion(this.ctx.storage.sql);
  }

  /** Size of the index. */
  async stats(scope: IndexScope): Promise<IndexStats> {
    await this.open(scope);
    const sql = this.ctx.storage.sql;
    const { chunks, documents } = sql.exec<{ chunks: number; documents: number }>(
      "SELECT count(*) AS chunks, count(DISTINCT document_id) AS documents FROM chunks",
    ).one();
    const vectors = sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunk_vectors").one().n;
    const dimensions = this.meta("dimensions");
    return { chunks, documents, vectors, dimensions: dimensions === null ? null : Number(dimensions), legacyImported: this.meta("legacy_import") === "1" };
  }

  // ---- learned phrasings (see phrasing-index.ts) ----------------------------------------

  /** Stores a learned phrasing, or finds the same one (`created: false`); `phrasing: null` when the index is full. */
  async addPhrasing(scope: IndexScope, input: PhrasingInput): Promise<AddedPhrasing> {
    await this.open(scope);
    return this.phrasings.add(scope, input);
  }

  /** Replaces phrasings' vectors (their document's text changed); ids no longer stored are skipped. */
  async setPhrasingVectors(scope: IndexScope, vectors: { id: string; vector: Float32Array | null }[]): Promise<void> {
    await this.open(scope);
    await this.phrasings.setVectors(scope, vectors);
  }

  /** The first chunk of a document (what its phrasings are embedded with), or null before it has chunks. */
  async documentHead(scope: IndexScope, documentId: string): Promise<{ heading: string | null; content: string } | null> {
    await this.open(scope);
    return this.ctx.storage.sql
      .exec<{ heading: string | null; content: string }>("SELECT heading, content FROM chunks WHERE document_id = ? ORDER BY ord, seq LIMIT 1", documentId)
      .toArray()[0] ?? null;
  }

  /** A document's learned phrasings, newest first. */
  async listPhrasings(scope: IndexScope, documentId: string, limit: number, after?: { created_at: string; id: string }): Promise<PhrasingPage> {
    await this.open(scope);
    return this.phrasingRows.page(documentId, limit, after);
  }

  /** Removes one learned phrasing of a document; null when the document has none with that id. */
  async deletePhrasing(scope: IndexScope, documentId: string, id: string): Promise<PhrasingRecord | null> {
    await this.open(scope);
    return this.phrasings.remove(scope, documentId, id);
  }

  /** The learned phrasings in a visitor's words (data export). */
  async visitorPhrasings(scope: IndexScope, visitorId: string): Promise<PhrasingRecord[]> {
    await this.open(scope);
    return this.phrasingRows.byVisitor(visitorId);
  }

  /** Erases the learned phrasings in a visitor's words; returns how many there were. */
  async deleteVisitorPhrasings(scope: IndexScope, visitorId: string): Promise<number> {
    await this.open(scope);
    return this.phrasings.removeVisitor(scope, visitorId);
  }

  // ---- internals ------------------------------------------------------------------------

  /** Schema, tenant check and the first-use import, before any call touches the data. */
  private async open(scope: IndexScope): Promise<void> {
    this.migrate();
    this.checkWorkspace(scope);
    if (this.meta("legacy_import") === "1") return;
    this.legacy ??= this.importLegacy(scope).finally(() => {
      this.legacy = null;
    });
    await this.legacy;
  }

  private async importLegacy(scope: IndexScope): Promise<void> {
    const moved = await importLegacyChunks(this.env, scope, {
      cursor: Number(this.meta("legacy_cursor") ?? 0),
      write: (rows, cursor) => {
        const written: { seq: number; codes: Int8Array }[] = [];
        this.ctx.storage.transactionSync(() => {
          for (const r of rows) {
            const exists = this.ctx.storage.sql.exec("SELECT 1 FROM chunks WHERE id = ?", r.id).toArray().length > 0;
            if (exists) continue;
            const seq = insertChunk(this.ctx.storage.sql, r.id, r.documentId, r.ordinal, r.title, r.heading, r.content, r.contentHash, r.tokenCount, r.sourceUrl);
            const v = r.vector ? this.prepareVector(r.vector) : null;
            if (v) written.push({ seq, codes: insertVector(this.ctx.storage.sql, seq, v.scale, v.codes) });
          }
          this.setMeta("legacy_cursor", String(cursor));
        });
        this.termCounts.invalidate();
        this.syncMatrix([], written);
      },
    });
    this.ctx.storage.transactionSync(() => {
      this.setMeta("legacy_import", "1");
      this.ctx.storage.sql.exec("DELETE FROM meta WHERE key = 'legacy_cursor'");
    });
    if (moved > 0) this.log.info("moved chunks from the shared D1 index", { assistant_id: scope.assistantId, chunks: moved });
  }

  /** Whether this object's SQLite holds the index's tables (false for an object never written). */
  private hasTables(): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
  }

  private migrate(): void {
    if (this.schemaReady) return;
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    for (let v = Number(this.meta("schema_version") ?? 0); v < INDEX_SCHEMA_VERSION; v++) {
      for (const statement of INDEX_MIGRATIONS[v] ?? []) sql.exec(statement);
    }
    this.setMeta("schema_version", String(INDEX_SCHEMA_VERSION));
    this.schemaReady = true;
  }

  /** The index belongs to the workspace of its first call; a call for another one is refused. */
  private checkWorkspace(scope: IndexScope): void {
    const owner = this.meta("workspace_id");
    if (owner === null) this.setMeta("workspace_id", scope.workspaceId);
    else if (owner !== scope.workspaceId) throw new Error("this knowledge index belongs to another workspace");
  }

  private meta(key: MetaKey): string | null {
    return indexMeta.meta(this.ctx.storage.sql, key);
  }

  private setMeta(key: MetaKey, value: string): void {
    indexMeta.setMeta(this.ctx.storage.sql, key, value);
  }

  private vectorize(): VectorStore | null {
    if ((this.env.VECTOR_STORE?.trim() || "local").toLowerCase() === "local") return null;
    return createVectorStore(this.env); // throws VectorStoreConfigError when misconfigured
  }

  private reranker(): RetrieveExtras["reranker"] {
    try {
      return createReranker(this.env);
    } catch (err) {
      this.log.error("reranker misconfigured; searching without it", { error: err });
      return null;
    }
  }

  /** int8 versions of the chunks' vectors for the local store; all null with Vectorize. */
  private prepareVectors(chunks: ChunkInput[]): ({ codes: Int8Array; scale: number } | null)[] {
    if (this.vectorize()) return chunks.map(() => null);
    return chunks.map((c) => (c.vector ? this.prepareVector(c.vector) : null));
  }

  private prepareVector(vector: ArrayLike<number>): { codes: Int8Array; scale: number } | null {
    if (vector.length === 0 || vector.length > MAX_DIMENSIONS) throw new RangeError(`vector must have 1 to ${MAX_DIMENSIONS} dimensions, got ${vector.length}`);
    // A zero vector (a text without terms) has no direction: the chunk is found by keywords only.
    return quantizeInt8(toUnitVector(vector));
  }

  private async upsertVectorize(scope: IndexScope, documentId: string, chunks: ChunkInput[]): Promise<void> {
    const vectorize = this.vectorize();
    if (!vectorize) return;
    const records = chunks.flatMap((c) =>
      c.vector ? [{ id: c.id, values: c.vector, metadata: { document_id: documentId, chunk_id: c.id, workspace_id: scope.workspaceId } }] : [],
    );
    if (records.length > 0) await vectorize.upsert(scope.assistantId, records);
  }

  private async deleteVectorize(scope: IndexScope, ids: string[]): Promise<void> {
    const vectorize = this.vectorize();
    if (vectorize && ids.length > 0) await vectorize.deleteByIds(scope.assistantId, ids);
  }

  private syncMatrix(removedSeqs: number[], written: { seq: number; codes: Int8Array }[]): void {
    const matrix = this.matrix;
    if (!matrix) return;
    if (written.some((w) => w.codes.length !== matrix.dimensions)) {
      this.matrix = null; // the dimension changed (the index emptied and refilled): rebuild on demand
      return;
    }
    for (const seq of removedSeqs) matrix.delete(seq);
    for (const w of written) matrix.set(w.seq, w.codes);
  }

  /** The in-memory matrix, built from SQLite when absent; null for an index without vectors. */
  private loadMatrix(): CodeMatrix | null {
    this.matrix ??= matrixFromRows(this.ctx.storage.sql);
    return this.matrix;
  }

  /** The vector leg: int4 candidates re-scored from int8 rows, or Vectorize (`vector-legs.ts`). */
  private async vectorLeg(scope: IndexScope, queryVector: readonly number[], limit: number, ask: VectorizeQuery): Promise<ScoredChunk[]> {
    const vectorize = this.vectorize();
    if (vectorize) return vectorizeLeg(this.ctx.storage.sql, await ask(vectorize, queryVector, limit), scope);
    return localVectorLeg(this.ctx.storage.sql, this.loadMatrix(), queryVector, limit);
  }
}
