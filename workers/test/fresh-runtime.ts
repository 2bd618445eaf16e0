/**
 * The Worker tests share one workerd runtime per pool slot (`isolate: false`): importing the
 * Worker into a fresh runtime costs seconds, and almost every file creates its own workspaces,
 * so files run one after another in the same runtime, its storage included. A few files assert
 * that a request changed nothing anywhere in D1, which only holds while no other file's
 * background work (queue retries, outbox alarms) can write to it: this plugin gives each of those
 * files a runtime of its own, started for it and with empty storage, like every file had before.
 */
import type { Plugin } from "vite";
import type { PoolRunnerInitializer, PoolTask } from "vitest/node";

/**
 * Files that compare all of D1 before and after a request (paths from the repository root):
 * they run in a runtime started for them.
 */
export const FRESH_RUNTIME_FILES: readonly string[] = ["workers/test/input-sweep.test.ts", "workers/test/bad-input.test.ts"];

/** True when the task runs one of `files`. */
function runsAny(task: PoolTask, files: readonly string[]): boolean {
  return task.context.files.some(({ filepath }) => files.some((file) => filepath.endsWith(`/${file}`)));
}

/**
 * A Vite plugin, placed after `cloudflareTest()`, that never hands `files` a runtime another
 * file has used.
 */
export function freshRuntimeFor(files: readonly string[] = FRESH_RUNTIME_FILES): Plugin {
  return {
    name: "edgedesk:fresh-runtime",
    configureVitest({ project }) {
      const pool: PoolRunnerInitializer | undefined = project.config.poolRunner;
      if (!pool) throw new Error("freshRuntimeFor() must come after cloudflareTest() in the project's plugins");
      project.config.poolRunner = {
        name: pool.name,
        createPoolWorker(options) {
          const worker = pool.createPoolWorker(options);
          // Asked before a finished runtime is handed the next file.
          worker.canReuse = (next) => !runsAny(next, files);
          return worker;
        },
      };
    },
  };
}
