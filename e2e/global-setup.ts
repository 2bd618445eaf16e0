import type { TestProject } from "vitest/node";
import { buildWidget } from "../widget/scripts/build.mjs";
import { buildDashboard, startDashboard } from "../dashboard/test/platform";
import { startLocalServer } from "./local-server";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local Worker (API, widget, demo page). */
    apiUrl: string;
    /** Base URL of the dashboard (Remix on `wrangler pages dev`), calling `apiUrl`. */
    dashboardUrl: string;
  }
}

/** Builds the widget and the dashboard, starts the platform once for every browser test, and stops it afterwards. */
export default async function setup(project: TestProject) {
  // The Worker serves the widget from public/widget/, a build output that is not committed.
  await buildWidget();
  const [server] = await Promise.all([startLocalServer(), buildDashboard()]);
  project.provide("apiUrl", server.url);
  const dashboard = await startDashboard(server.url);
  project.provide("dashboardUrl", dashboard.url);
  return async () => {
    await dashboard.stop();
    await server.stop();
  };
}
