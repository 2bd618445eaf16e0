import { DurableObject } from "cloudflare:workers";

/** One assistant's vectors in SQLite: the `local` vector store, for when Vectorize is absent. */
export class LocalVectorIndexDO extends DurableObject<Env> {
  /** Liveness probe used by `/readyz` and tests. */
  async ping(): Promise<"pong"> {
    return "pong";
  }
}
