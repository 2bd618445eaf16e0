/** What callers send to and get back from an assistant's knowledge index (its RPC surface). */

/** Whose index: the object is named by the assistant id; the workspace id is checked on every call. */
export interface IndexScope {
  workspaceId: string;
  assistantId: string;
}

/** The document a set of chunks belongs to. */
export interface IndexDocument {
  documentId: string;
  title: string;
  /** Link to the original (URL documents), or null. */
  sourceUrl: string | null;
}

/** One chunk to index, with its embedding (null: no vector, keyword search only). */
export interface ChunkInput {
  id: string;
  ordinal: number;
  heading: string | null;
  content: string;
  contentHash: string;
  tokenCount: number;
  vector: Float32Array | null;
}

/** Size of an index. */
export interface IndexStats {
  chunks: number;
  documents: number;
  /** Vectors kept in the object (the `local` store); 0 with Vectorize. */
  vectors: number;
  /** Dimensions of the stored vectors, or null without any. */
  dimensions: number | null;
  /** Whether rows of the former shared D1 index were looked for and moved in. */
  legacyImported: boolean;
}

/** A learned phrasing to store: a wording of a question that `documentId` answers. */
export interface PhrasingInput {
  id: string;
  documentId: string;
  text: string;
  /** The visitor whose words these are (erased with their data), or null for staff-written ones. */
  visitorId: string | null;
  /** The conversation it was learned from, or null. */
  conversationId: string | null;
  /** Who added it: a user, an API key, or the agent who resolved the conversation. */
  createdBy: string;
  /** Its embedding (null: found by keywords only). */
  vector: Float32Array | null;
}

/** A stored learned phrasing. */
export type PhrasingRecord = {
  id: string;
  document_id: string;
  text: string;
  visitor_id: string | null;
  conversation_id: string | null;
  created_by: string;
  created_at: string;
};

/** What adding a phrasing did: stored it, found the same one (`created: false`), or found the index full (`phrasing: null`). */
export type AddedPhrasing = { phrasing: PhrasingRecord; created: boolean } | { phrasing: null; created: false };

/** One page of a document's phrasings, newest first; `after` is where the next page starts. */
export interface PhrasingPage {
  data: PhrasingRecord[];
  after: { created_at: string; id: string } | null;
}

/** One retrieved chunk, with what a citation needs. */
export interface SearchHit {
  chunk_id: string;
  document_id: string;
  title: string;
  /** The section heading the chunk sits under, when it has one. */
  heading?: string | null;
  content: string;
  snippet: string;
  /** Link to the original (URL documents), or null. */
  source: string | null;
  /** Higher is better; comparable within one query. */
  score: number;
}
