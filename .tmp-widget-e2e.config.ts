import { defineConfig } from "vitest/config";
export default defineConfig({
  test: {
    projects: [{ test: { name: "e2e", environment: "node", include: ["widget/**/*.e2e.test.ts"], globalSetup: ["/tmp/wd/setup.ts"], testTimeout: 60_000, hookTimeout: 180_000, fileParallelism: false } }],
  },
});
