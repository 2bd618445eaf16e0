import type { TestProject } from "vitest/node";
import { startLocalServer } from "../../e2e/local-server";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local Worker (API, widget, demo page). */
    apiUrl: string;
  }
}

/** The loader and action tests call the real API: one local Worker for the whole run. */
export default async function setup(project: TestProject) {
  const server = await startLocalServer();
  project.provide("apiUrl", server.url);
  return async () => server.stop();
}
