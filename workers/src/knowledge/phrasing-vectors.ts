import type { Chunk } from "./chunker";
import type { Embedder } from "./embeddings/embedder";
import type { IndexScope } from "./knowledge-index/index-types";
import type { KnowledgeIndexDO } from "./knowledge-index/knowledge-index-do";

/**
 * A learned phrasing's vector is its document expanded by the question: the document's first
 * chunk embedded as ingestion embeds chunks (title, heading, content), with the phrasing as the
 * first line of the title. It is then compared with questions on the chunks' own footing. A
 * phrasing embedded alone (a short question beside other short questions) stood far closer to
 * every question on a neighbouring topic than any chunk did, and pulled its document above the
 * right one for those: on the tuning half of StackFAQ, with every other FAQ taught, questions
 * about the untaught FAQs lost 0.149 hit@1 in hybrid search that way, and 0.042 like this (see
 * BENCHMARKS.md, "Learned phrasings").
 */

/** Phrasings re-embedded per call when a document is indexed again. */
const PHRASINGS_PER_CALL = 100;

/** The head of a document a phrasing is embedded with; null while the document has no chunks. */
export type DocumentHead = Pick<Chunk, "heading" | "content"> | null;

/** The text a phrasing of the document titled `title` is embedded from: the phrasing, then the head's `embeddingText`. */
export function phrasingEmbeddingText(phrasing: string, title: string, head: DocumentHead): string {
  return [phrasing, title, head?.heading, head?.content].filter(Boolean).join("\n");
}

/**
 * Embeds a document's phrasings again with its new head (after its chunks were replaced), so
 * their vectors follow the document's text. One index call when it has none.
 */
export async function refreshPhrasingVectors(
  index: DurableObjectStub<KnowledgeIndexDO>,
  embedder: Embedder,
  scope: IndexScope,
  document: { documentId: string; title: string; head: DocumentHead },
): Promise<number> {
  let refreshed = 0;
  let after: { created_at: string; id: string } | undefined;
  do {
    const page = await index.listPhrasings(scope, document.documentId, PHRASINGS_PER_CALL, after);
    if (page.data.length === 0) break;
    const vectors = await embedder.embed(page.data.map((p) => phrasingEmbeddingText(p.text, document.title, document.head)));
    await index.setPhrasingVectors(scope, page.data.map((p, i) => ({ id: p.id, vector: vectors[i] ?? null })));
    refreshed += page.data.length;
    after = page.after ?? undefined;
  } while (after);
  return refreshed;
}
