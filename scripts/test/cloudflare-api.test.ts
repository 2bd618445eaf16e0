import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { cloudflareApi } from "../lib/cloudflare-api.mjs";
import { startFakeCloudflareApi, type FakeCloudflareApi } from "./fake-cloudflare";

let api: FakeCloudflareApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe("Cloudflare API client", () => {
  it("lists every object of an R2 bucket for a backup manifest, page after page, through a 429", async () => {
    const objects = Array.from({ length: 7 }, (_, i) => ({
      key: `ws/ws_1/ast/ast_1/doc/doc_${i}/file.txt`,
      size: 100 + i,
      etag: randomUUID().replaceAll("-", ""),
      last_modified: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(),
    }));
    api = await startFakeCloudflareApi({ initialVersion: null, knownVersions: [], traffic: () => ({ requests: 0, errors: 0 }), r2Objects: { "edgedesk-files": objects } });
    const waits: number[] = [];
    const client = cloudflareApi({ apiToken: api.token, accountId: api.accountId, apiBase: api.url, sleep: async (ms) => void waits.push(ms) });
    api.throttleNext(1);

    const listed = await client.listR2Objects("edgedesk-files", { perPage: 3 });

    expect(listed).toEqual(objects);
    expect(waits).toEqual([1000]);
    const pages = api.requests.filter((r) => r.path.endsWith("/objects"));
    expect(pages).toHaveLength(4); // the throttled one, then three pages of at most 3
  });

  it("names Cloudflare's error when a bucket does not exist", async () => {
    api = await startFakeCloudflareApi({ initialVersion: null, knownVersions: [], traffic: () => ({ requests: 0, errors: 0 }) });
    const client = cloudflareApi({ apiToken: api.token, accountId: api.accountId, apiBase: api.url });

    await expect(client.listR2Objects("missing-bucket")).rejects.toThrow("404 (10006 The specified bucket does not exist.)");
  });
});
