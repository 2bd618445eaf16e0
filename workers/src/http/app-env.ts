import type { Principal } from "../auth/principal";
import type { Logger } from "../lib/logger";

/** Hono environment of every route: bindings plus what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set by `authenticate`; absent on public routes. */
    principal: Principal;
  };
};
