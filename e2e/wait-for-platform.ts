/**
 * Setup file of the projects that drive the platform: holds each test file until what its
 * project needs of the platform is up (it starts in the background, see platform.ts), and fails
 * the file with the platform's own error if it could not start.
 */
import { inject } from "vitest";

const PLATFORM_START_TIMEOUT_MS = 300_000; // two builds and four workerd processes on a busy 2-core machine

const deadline = Date.now() + PLATFORM_START_TIMEOUT_MS;
for (;;) {
  const res = await fetch(inject("platformReadyUrl"));
  const text = await res.text();
  if (res.status === 200) break;
  if (res.status !== 202) throw new Error(`the test platform did not start: ${text}`);
  if (Date.now() > deadline) throw new Error(`the test platform did not start within ${PLATFORM_START_TIMEOUT_MS / 1000} s`);
}
