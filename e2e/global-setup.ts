import type { TestProject } from "vitest/node";
import { startLocalServer } from "./local-server";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local Worker (API, widget, demo page). */
    apiUrl: string;
  }
}

/** Starts the platform once for every browser test, and stops it afterwards. */
export default async function setup(project: TestProject) {
  const server = await startLocalServer();
  project.provide("apiUrl", server.url);
  return async () => server.stop();
}
