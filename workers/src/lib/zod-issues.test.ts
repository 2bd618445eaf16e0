import { describe, expect, it } from "vitest";
import { z } from "zod";
import { zodIssues } from "./zod-issues";

const Body = z.object({ name: z.string().min(1), tags: z.array(z.string()) });

describe("zodIssues", () => {
  it("lists each failure with its path as strings, zod's code and message", () => {
    const result = Body.safeParse({ name: "", tags: ["ok", 7] });
    expect(result.success).toBe(false);
    const issues = zodIssues(result.error!);
    expect(issues).toEqual([
      { path: ["name"], code: "too_small", message: expect.any(String) },
      { path: ["tags", "1"], code: "invalid_type", message: expect.any(String) },
    ]);
  });

  it("puts the part of the request in front of every path", () => {
    const result = Body.safeParse({ tags: [] });
    expect(zodIssues(result.error!, ["config"]).map((i) => i.path)).toEqual([["config", "name"]]);
  });
});
