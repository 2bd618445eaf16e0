/**
 * The order test files are handed to the pool, which runs `maxWorkers` of them at a time across
 * all projects. Vitest's own order (project by project, then slowest or largest first) would
 * leave the browser tests for last, one file at a time; instead:
 *
 *   1. the Worker test files that need a runtime of their own (fresh-runtime.ts),
 *   2. the other Worker test files, while the browser tests' platform starts in the background
 *      (e2e/platform.ts); each slot keeps its runtime from file to file,
 *   3. the browser tests, the longest files of all, once the platform is up, with the scripts'
 *      tests (their backup round trip starts two Workers of its own and takes minutes),
 *   4. the dashboard's loader tests, which use the same platform,
 *   5. the widget's unit tests, quick fillers for the end.
 *
 * Within each step Vitest's order stands (failed first, then slowest as of the last run, then
 * largest), except that on a first run, with no timings yet, the files known to be the slowest
 * of their project go first, so that none of them is left running alone at the end.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { FRESH_RUNTIME_FILES } from "./workers/test/fresh-runtime";

const PROJECT_RANK: Record<string, number> = { workers: 2, e2e: 3, scripts: 3, dashboard: 4, widget: 5 };
const UNKNOWN_PROJECT_RANK = 6;

/** The slowest files of their project, slowest first (about 2 minutes each on a busy 2-core machine). */
const KNOWN_SLOWEST = ["dashboard/e2e/accessibility.e2e.test.ts", "widget/e2e/widget.e2e.test.ts", "scripts/test/backup-restore.test.ts"];

const endsWithAny = (spec: TestSpecification, files: readonly string[]) => files.findIndex((file) => spec.moduleId.endsWith(`/${file}`));

function rank(spec: TestSpecification): number {
  const project = spec.project.name;
  if (project === "workers" && endsWithAny(spec, FRESH_RUNTIME_FILES) !== -1) return 1;
  return PROJECT_RANK[project] ?? UNKNOWN_PROJECT_RANK;
}

/** Vitest's sequencer with the files in the order above. */
export default class RunOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timed = (spec: TestSpecification) => this.ctx.cache.getFileTestResults(`${spec.project.name}:${spec.moduleId.slice(this.ctx.config.root.length + 1)}`) !== undefined;
    const hint = (spec: TestSpecification) => {
      const known = endsWithAny(spec, KNOWN_SLOWEST);
      return known === -1 || timed(spec) ? KNOWN_SLOWEST.length : known;
    };
    return sorted
      .map((spec, index) => ({ spec, index, rank: rank(spec), hint: hint(spec) }))
      .sort((a, b) => a.rank - b.rank || a.hint - b.hint || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
