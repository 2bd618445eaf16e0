import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createAnalyticsSink } from "./create-sink";

describe("createAnalyticsSink", () => {
  it("uses D1 when no Hyperdrive binding is configured", () => {
    expect(env.HYPERDRIVE).toBeUndefined();
    expect(createAnalyticsSink(env).kind).toBe("d1");
  });

  it("uses Postgres when a Hyperdrive binding is configured", async () => {
    const sink = createAnalyticsSink({ ...env, HYPERDRIVE: env.TEST_HYPERDRIVE });
    expect(sink.kind).toBe("postgres");
    await expect(sink.ping()).resolves.toBeUndefined();
  });
});
