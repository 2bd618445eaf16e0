import type { NamedObjects } from "../../storage/data-region";
import type { LocalVectorIndexDO } from "../local-vector-index-do";
import { LocalVectorStore } from "./local-vector-store";
import { VectorStoreConfigError, type VectorStore } from "./vector-store";
import { VectorizeStore, type VectorizeBinding } from "./vectorize-store";

/** The vector stores `VECTOR_STORE` can name. */
export type VectorStoreEnv = Partial<Pick<Env, "VECTOR_STORE">> & {
  /** The workspace's vector objects (`WorkspacePlace.vectors`), or the namespace itself. */
  VECTOR_INDEX: NamedObjects<LocalVectorIndexDO>;
  VECTORIZE?: VectorizeBinding;
};

/** The store `env.VECTOR_STORE` selects: `local` (the default) or `vectorize`. */
export function createVectorStore(env: VectorStoreEnv): VectorStore {
  const kind = (env.VECTOR_STORE?.trim() || "local").toLowerCase();
  switch (kind) {
    case "local":
      return new LocalVectorStore(env.VECTOR_INDEX);
    case "vectorize":
      if (!env.VECTORIZE) throw new VectorStoreConfigError('VECTOR_STORE is "vectorize" but the VECTORIZE binding is not configured');
      return new VectorizeStore(env.VECTORIZE);
    default:
      throw new VectorStoreConfigError(`unknown VECTOR_STORE "${env.VECTOR_STORE}"; use local or vectorize`);
  }
}
