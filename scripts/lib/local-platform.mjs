/**
 * What the evaluations (`npm run eval`, `npm run eval:answers`) and the knowledge bench share:
 * a platform of their own (`wrangler dev` on a fresh database in a temporary folder, see
 * `startLocalWorker` in bench/_lib.mjs) with a signed-up workspace and an assistant, stopped at
 * the end, on error and on Ctrl-C; documents uploaded as JSON and awaited until `ready`; and the
 * way a script ends (exit 2 with the error on failure).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiClient, mapLimit, signUpWithAssistant, startLocalWorker, waitForDocuments } from "../../bench/_lib.mjs";

/** Exit status after Ctrl-C or a kill: 128 + SIGINT, as shells report it. */
const SIGNAL_EXIT_CODE = 130;
/** Lines of wrangler's output added to an error's message: enough to show why it failed. */
const WRANGLER_TAIL_LINES = 25;

/**
 * Starts a local Worker, signs up a workspace with one assistant, and runs `run` with
 * `{api, token, workspaceId, assistantId, worker, tmpDir}`; resolves with what `run` resolves
 * with. The Worker is stopped whatever happens (also on SIGINT and SIGTERM, which then exit
 * 130), and an error carries wrangler's last lines. `vars` are the Worker's extra variables. Without `tmpDir`, a temporary folder named
 * after `name` is made and removed at the end.
 *
 * @template T
 * @param {{ name: string, log: (message: string) => void, tmpDir?: string, apiTimeoutMs?: number, workspaceName: string, assistantName: string, vars?: Record<string, string | number> }} options
 * @param {(platform: { api: ReturnType<typeof apiClient>, token: string, workspaceId: string, assistantId: string, worker: Awaited<ReturnType<typeof startLocalWorker>>, tmpDir: string }) => Promise<T>} run
 * @returns {Promise<T>}
 */
export async function withLocalPlatform({ name, log, tmpDir, apiTimeoutMs, workspaceName, assistantName, vars }, run) {
  const dir = tmpDir ?? mkdtempSync(join(tmpdir(), `edgedesk-${name}-`));
  const removeDir = () => {
    if (!tmpDir) rmSync(dir, { recursive: true, force: true });
  };
  let worker = null;
  const onSignal = (signal) => {
    log(`${signal}: stopping`);
    void Promise.resolve(worker?.stop())
      .catch(() => {})
      .finally(() => {
        removeDir();
        process.exit(SIGNAL_EXIT_CODE);
      });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    worker = await startLocalWorker({ tmpDir: dir, log, vars });
    const api = apiClient(worker.base, apiTimeoutMs ? { timeoutMs: apiTimeoutMs } : undefined);
    const account = await signUpWithAssistant(api, { workspaceName, assistantName });
    return await run({ api, ...account, worker, tmpDir: dir });
  } catch (err) {
    if (worker && err instanceof Error) {
      err.message += `\n--- last lines of wrangler dev ---\n${worker.server.tail().split("\n").slice(-WRANGLER_TAIL_LINES).join("\n")}`;
    }
    throw err;
  } finally {
    if (worker) {
      const stopped = await worker.stop();
      log(`wrangler dev stopped (${stopped.signal ?? `exit ${stopped.code}`}).`);
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    removeDir();
  }
}

/**
 * Adds `documents` (`{title, content}`, and the set's own `id` when it has one) to an assistant
 * as JSON, `parallel` uploads at a time, and waits until every one is `ready`; throws when one
 * failed, or they are still pending after `timeoutMs` or made no progress for 3 minutes.
 * Resolves with `perDocument` (our id of each document, in order), `ids` (the distinct ones: the
 * API answers an identical document with the id it already has) and `setIdsOf` (our id → the
 * set's ids it stands for). `onProgress` gets `{ready, failed, pending, total}` at each poll.
 */
export async function uploadDocuments(api, token, assistantId, documents, { parallel = 8, timeoutMs, intervalMs, onProgress = () => {} } = {}) {
  const setIdsOf = new Map();
  const perDocument = await mapLimit(documents, parallel, async (doc) => {
    const body = await api.expect(202, "POST", `/api/v1/assistants/${assistantId}/documents`, {
      token,
      body: { title: doc.title, content: doc.content },
    });
    if (doc.id !== undefined) setIdsOf.set(body.id, [...(setIdsOf.get(body.id) ?? []), doc.id]);
    return body.id;
  });
  const ids = [...new Set(perDocument)];
  const waited = await waitForDocuments(api, token, assistantId, ids, {
    timeoutMs,
    intervalMs,
    onProgress: (progress) => onProgress({ ...progress, total: ids.length }),
  });
  if (waited.timedOut || waited.stalled || waited.failed.length > 0) {
    throw new Error(
      `documents not ready: ${waited.pending} still pending${waited.stalled ? " without progress for 3 minutes" : ""}, ${waited.failed.length} failed ${JSON.stringify(waited.failed.slice(0, 3))}`,
    );
  }
  return { perDocument, ids, setIdsOf };
}

/** Runs a script's `main` and exits with the status it resolves with; on an error, prints it as `[name] …` and exits 2. */
export function runMain(name, main) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[${name}] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(2);
    },
  );
}
