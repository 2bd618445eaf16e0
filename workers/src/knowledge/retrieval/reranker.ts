/**
 * A second opinion on the few best documents of a search: a model that reads the question and
 * each passage together (a cross-encoder) and scores how well the passage answers it. Slower
 * and better than the first-pass ranking, so it only sees the top of the fused list.
 */

/** One passage to score: `text` is what the model reads (title, heading and content). */
export interface RerankCandidate {
  id: string;
  text: string;
}

/** Scores passages against a question. */
export interface Reranker {
  /** Provider and model (`workers-ai:@cf/baai/bge-reranker-base`). */
  readonly name: string;
  /** One relevance score per candidate, in the candidates' order; higher is better. */
  score(query: string, candidates: readonly RerankCandidate[]): Promise<number[]>;
}

/**
 * `RERANKER` names a reranker whose binding is missing, or no reranker at all. Search logs it as
 * an error on every query and answers without reranking: a deployment that asked for reranking
 * learns at once that it is not getting it, and visitors still get answers.
 */
export class RerankerConfigError extends Error {
  override readonly name = "RerankerConfigError";
}
