import { describe, expect, it } from "vitest";
import { CONFIG_MAX_AGE_MS, isCurrentConfig, type AssistantConfig } from "./assistant-config";

const config: AssistantConfig = {
  id: "ast_1",
  workspace_id: "ws_1",
  system_prompt: "",
  tone: "friendly",
  model_policy: {},
  escalation_threshold: 0.35,
};

describe("whether a conversation's copy of its assistant's settings may answer", () => {
  it("answers while the version it was read at is the current one", () => {
    expect(isCurrentConfig({ version: "v1", config, loadedAt: 1_000 }, "v1", 2_000)).toBe(true);
  });

  it("is read again after an edit (another version), before the first answer, and once it is old", () => {
    expect(isCurrentConfig({ version: "v1", config, loadedAt: 1_000 }, "v2", 2_000)).toBe(false);
    expect(isCurrentConfig(null, "v1", 2_000)).toBe(false);
    expect(isCurrentConfig({ version: "v1", config, loadedAt: 1_000 }, "v1", 1_000 + CONFIG_MAX_AGE_MS)).toBe(false);
  });

  it("keeps a deleted assistant deleted, whatever the version", () => {
    expect(isCurrentConfig({ version: "v1", config: null, loadedAt: 1_000 }, "v9", 1_000 + 10 * CONFIG_MAX_AGE_MS)).toBe(true);
  });
});
