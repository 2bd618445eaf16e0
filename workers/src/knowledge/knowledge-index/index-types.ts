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
