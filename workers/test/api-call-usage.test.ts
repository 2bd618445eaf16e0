import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { usagePeriod } from "../src/billing/usage-period";
import { eraseWorkspace } from "../src/compliance/workspace-erasure";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";

/** The API calls the billing page shows for the workspace of `adminToken`. */
async function billedCalls(adminToken: string): Promise<number> {
  const res = await call("GET", "/api/v1/billing", { token: adminToken });
  expect(res.status).toBe(200);
  return res.body.usage.api_calls;
}

/** The workspace's API calls of this month as D1 holds them now. */
async function storedCalls(workspaceId: string): Promise<number> {
  const row = await env.DB.prepare("select api_calls from usage_counters where workspace_id = ? and period = ?")
    .bind(workspaceId, usagePeriod().period)
    .first<{ api_calls: number }>();
  return row?.api_calls ?? 0;
}

describe("API calls on the billing page", () => {
  it("counts every call a key made, one after another and at once, when read right after the last", async () => {
    const s = await signUp("UsageCount");
    await createAssistant(s.access_token);
    const key = await createSecretKey(s.access_token, "viewer");
    // More calls than one batch holds, so some were written on the way and some are still held.
    for (let i = 0; i < 130; i++) expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
    for (let round = 0; round < 5; round++) {
      const statuses = await Promise.all(Array.from({ length: 10 }, () => call("GET", "/api/v1/assistants", { token: key.key }).then((r) => r.status)));
      expect(statuses.every((status) => status === 200)).toBe(true);
    }
    expect(await billedCalls(s.access_token)).toBe(180);
    // The dashboard's own calls (the reads above included) are not counted.
    expect(await billedCalls(s.access_token)).toBe(180);
  });

  it("counts refused and unauthenticated calls as before: a 403 counts, a 401 does not", async () => {
    const s = await signUp("UsageRefused");
    const viewer = await createSecretKey(s.access_token, "viewer");
    expect((await call("POST", "/api/v1/assistants", { token: viewer.key, body: { name: "No" } })).status).toBe(403);
    expect((await call("GET", "/api/v1/assistants", { token: `${viewer.key}x` })).status).toBe(401);
    expect(await billedCalls(s.access_token)).toBe(1);
  });

  it("keeps a workspace's calls when another workspace whose calls were held with them is erased first", async () => {
    const gone = await signUp("UsageErased");
    const kept = await signUp("UsageKept");
    const goneKey = await createSecretKey(gone.access_token, "viewer");
    const keptKey = await createSecretKey(kept.access_token, "viewer");
    // Both workspaces' calls wait in the same batch; one workspace is erased before it is written.
    for (let i = 0; i < 2; i++) expect((await call("GET", "/api/v1/assistants", { token: goneKey.key })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/v1/assistants", { token: keptKey.key })).status).toBe(200);
    expect((await eraseWorkspace(env, gone.workspace.id)).complete).toBe(true);
    expect(await billedCalls(kept.access_token)).toBe(3);
    expect(await storedCalls(gone.workspace.id)).toBe(0);
  });

  it("writes the calls it holds to D1 without anyone reading them", async () => {
    const s = await signUp("UsageUnread");
    const key = await createSecretKey(s.access_token, "viewer");
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
    await expect.poll(() => storedCalls(s.workspace.id), { timeout: 15_000, interval: 250 }).toBe(3);
  });
});
