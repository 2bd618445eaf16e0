import { DurableObject } from "cloudflare:workers";

/** One conversation: its sockets, message log and the answer being generated. */
export class ConversationDO extends DurableObject<Env> {
  /** Liveness probe used by `/readyz` and tests. */
  async ping(): Promise<"pong"> {
    return "pong";
  }
}
