import type { TestProject } from "vitest/node";
import { usePlatform } from "./platform";

/** The browser tests drive both Workers and the dashboards in front of them (see platform.ts). */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return usePlatform(project, "dashboards");
}
