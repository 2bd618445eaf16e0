import type { TestProject } from "vitest/node";
import { usePlatform } from "../../e2e/platform";

/**
 * The loader and action tests call the real API: the run's Worker without billing, as a
 * self-hosted install runs it, and the one with billing on for the billing page (see
 * e2e/platform.ts; the browser tests use the same two).
 */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return usePlatform(project, "workers");
}
