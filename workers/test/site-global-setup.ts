import type { TestProject } from "vitest/node";
import { startFakeSite } from "./fake-site-server";

/**
 * Starts the fake help-center website in Node before the tests and stops it after. Its URL is
 * provided as `siteUrl`; vitest.config.ts hands it to workerd as the `SITE_URL` binding.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const site = await startFakeSite();
  project.provide("siteUrl", site.url);
  return () => site.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake website (`http://127.0.0.1:<port>`). */
    siteUrl: string;
  }
}

declare global {
  namespace Cloudflare {
    interface Env {
      /** Base URL of the fake website the crawler tests import pages from. */
      SITE_URL: string;
    }
  }
}
