import type { TestProject } from "vitest/node";
import { startFakeLlmServer } from "./fake-llm-server";

/**
 * Starts the fake OpenAI/Anthropic server in Node before the tests and stops it after. Its URL
 * is provided as `llmFakeUrl`; vitest.config.ts hands it to workerd as the `LLM_FAKE_URL` binding.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startFakeLlmServer();
  project.provide("llmFakeUrl", server.url);
  return () => server.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake LLM server (`http://127.0.0.1:<port>`). */
    llmFakeUrl: string;
  }
}

declare global {
  namespace Cloudflare {
    interface Env {
      /** Base URL of the fake LLM server, for the `llm/` tests. */
      LLM_FAKE_URL: string;
    }
  }
}
