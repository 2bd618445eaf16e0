import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      /** D1 migrations read by vitest.config.ts, applied by the setup file. */
      TEST_MIGRATIONS: D1Migration[];
      /** Hyperdrive to the machine's Postgres, for the Postgres analytics tests. */
      TEST_HYPERDRIVE: Hyperdrive;
    }
  }
}
