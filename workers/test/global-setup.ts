/**
 * Vitest global setup (runs once, in Node, before any workerd test): brings the test Postgres,
 * the one `TEST_HYPERDRIVE` reaches, up to the current analytics schema. It runs the same
 * migrator as production, which is idempotent, so repeated and concurrent runs are safe.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TEST_POSTGRES_URL } from "../../vitest.config";

const MIGRATOR = fileURLToPath(new URL("../../scripts/migrate-pg.mjs", import.meta.url));

/** Applies the Postgres migrations; fails the run with a hint when Postgres is unreachable. */
export default function setup(): void {
  try {
    execFileSync(process.execPath, [MIGRATOR, TEST_POSTGRES_URL], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr = err instanceof Error && "stderr" in err ? String(err.stderr) : String(err);
    throw new Error(
      `could not migrate the test Postgres (${stderr.trim()}). Is it running? ` +
        "Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.",
    );
  }
}
