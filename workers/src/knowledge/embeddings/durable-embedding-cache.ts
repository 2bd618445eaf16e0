import { chunked } from "../../lib/chunked";
import type { NamedObjects } from "../../storage/data-region";
import type { LocalVectorIndexDO } from "../local-vector-index-do";
import type { EmbeddingCache } from "./embedding-cache";

/**
 * Keys per RPC call: a batch of 100 texts (`EMBED_BATCH_SIZE`) fits in one call either way; the
 * bound keeps a very large ingestion's messages under a few MB at 1536 dimensions.
 */
const KEYS_PER_CALL = 500;

/**
 * An embedding cache in one assistant's `LocalVectorIndexDO` SQLite (the same object the
 * `local` store uses for that assistant, whichever store holds the vectors). Survives isolates,
 * deploys and the deletion of the chunks themselves; bounded per assistant, least recently used
 * dropped first.
 */
export class DurableEmbeddingCache implements EmbeddingCache {
  private readonly stub: DurableObjectStub<LocalVectorIndexDO>;

  constructor(index: NamedObjects<LocalVectorIndexDO>, namespace: string) {
    this.stub = index.getByName(namespace);
  }

  async getMany(keys: string[]): Promise<(Float32Array | undefined)[]> {
    const out: (Float32Array | undefined)[] = [];
    for (const part of chunked(keys, KEYS_PER_CALL)) {
      const found = await this.stub.getCachedEmbeddings(part);
      for (const vector of found) out.push(vector ?? undefined);
    }
    return out;
  }

  async putMany(entries: { key: string; vector: Float32Array }[]): Promise<void> {
    for (const part of chunked(entries, KEYS_PER_CALL)) await this.stub.putCachedEmbeddings(part);
  }
}
