import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LOCAL_EU_NAME_PREFIX, placeOf } from "../src/storage/data-region";
import { call, PASSWORD, uniqueEmail } from "./helpers";

/**
 * EU data residency through the real stack. Local workerd has no jurisdictions
 * (`namespace.jurisdiction("eu")` throws there), so off production an EU workspace's objects
 * live in the default namespace under `LOCAL_EU_NAME_PREFIX`, apart from every default
 * workspace's; the EU files bucket is a separate local bucket (`FILES_EU`). The tests check
 * that each workspace's conversations, knowledge and files land in its own place and never in
 * the other.
 */

const SHOP = "https://shop.example.com";
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

async function signUpIn(region?: unknown) {
  const res = await call("POST", "/api/v1/workspaces", {
    body: { workspace_name: "Résidence", email: uniqueEmail("region"), password: PASSWORD, ...(region === undefined ? {} : { data_region: region }) },
  });
  return res;
}

async function workspaceIn(region: "eu" | "default") {
  const res = await signUpIn(region);
  expect(res.status).toBe(201);
  const token = res.body.access_token as string;
  const workspaceId = res.body.workspace.id as string;
  const assistant = await call("POST", "/api/v1/assistants", { token, body: { name: "Helper", allowed_origins: [SHOP] } });
  expect(assistant.status).toBe(201);
  return { token, workspaceId, assistantId: assistant.body.id as string };
}

/** The object of `name` in the default namespace and in the (local stand-in of the) EU one. */
const bothConversations = (name: string) => ({
  byDefault: env.CONVERSATION.getByName(name),
  inEu: env.CONVERSATION.getByName(LOCAL_EU_NAME_PREFIX + name),
});

async function upload(token: string, assistantId: string, text: string) {
  const form = new FormData();
  form.append("file", new File([new TextEncoder().encode(text)], "returns.txt", { type: "text/plain" }));
  const res = await exports.default.fetch(
    new Request(`http://api.test/api/v1/assistants/${assistantId}/documents`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form }),
  );
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string };
}

async function listed(bucket: R2Bucket, prefix: string): Promise<string[]> {
  return (await bucket.list({ prefix })).objects.map((o) => o.key);
}

describe("choosing the data region at sign-up", () => {
  it("keeps eu, defaults to default, and shows it on the workspace", async () => {
    const eu = await signUpIn("eu");
    expect(eu.status).toBe(201);
    expect(eu.body.workspace.data_region).toBe("eu");
    const shown = await call("GET", "/api/v1/workspace", { token: eu.body.access_token });
    expect(shown.body.data_region).toBe("eu");

    const plain = await signUpIn();
    expect(plain.status).toBe(201);
    expect(plain.body.workspace.data_region).toBe("default");
  });

  it.each([["mars"], ["EU"], [""], [1], [null]])("refuses data_region %j with a validation error", async (region) => {
    const res = await signUpIn(region);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(JSON.stringify(res.body.error)).toContain("data_region");
  });

  it("cannot be changed afterwards", async () => {
    const eu = await signUpIn("eu");
    const token = eu.body.access_token as string;
    const changed = await call("PATCH", "/api/v1/workspace", { token, body: { data_region: "default" } });
    expect(changed.status).toBe(400);
    expect(changed.body.error.code).toBe("invalid_request");
    expect((await call("GET", "/api/v1/workspace", { token })).body.data_region).toBe("eu");
  });
});

describe("where a workspace's data lands", () => {
  it("keeps an EU workspace's conversations, knowledge and files in the EU place, and a default one's out of it", async () => {
    for (const region of ["eu", "default"] as const) {
      const w = await workspaceIn(region);

      // Knowledge: the uploaded file, then its chunks after ingestion.
      const doc = await upload(w.token, w.assistantId, "Returns are accepted within 30 days of delivery for a full refund.");
      const prefix = `ws/${w.workspaceId}/`;
      const [own, other] = region === "eu" ? [env.FILES_EU, env.FILES] : [env.FILES, env.FILES_EU];
      expect(await listed(own, prefix)).toHaveLength(1);
      expect(await listed(other, prefix)).toEqual([]);
      await expect
        .poll(async () => (await call("GET", `/api/v1/documents/${doc.id}`, { token: w.token })).body.status, { timeout: 30_000, interval: 200 })
        .toBe("ready");
      const scope = { workspaceId: w.workspaceId, assistantId: w.assistantId };
      const ownIndex = placeOf(env, region).knowledge.getByName(w.assistantId);
      const otherIndex = placeOf(env, region === "eu" ? "default" : "eu").knowledge.getByName(w.assistantId);
      expect((await ownIndex.stats(scope)).chunks).toBeGreaterThan(0);
      expect((await otherIndex.stats(scope)).chunks).toBe(0);

      // A conversation, answered from that knowledge.
      const key = await call("POST", "/api/v1/api-keys", { token: w.token, body: { name: "widget", type: "publishable", assistant_id: w.assistantId } });
      const conv = await call("POST", "/api/v1/conversations", {
        token: key.body.key,
        headers: { origin: SHOP },
        body: { assistant_id: w.assistantId, visitor_id: `v-${uniq()}`, channel: "web" },
      });
      expect(conv.status).toBe(201);
      const id = conv.body.conversation_id as string;
      const sent = await call("POST", `/api/v1/conversations/${id}/messages`, { token: conv.body.token, body: { content: "Can I return an item for a refund?" } });
      expect(sent.status).toBe(200);
      expect(sent.body.message.content).toContain("30 days");
      const { byDefault, inEu } = bothConversations(id);
      const [ownConv, otherConv] = region === "eu" ? [inEu, byDefault] : [byDefault, inEu];
      expect((await ownConv.describe())?.workspace_id).toBe(w.workspaceId);
      expect(await otherConv.describe()).toBeNull();
      expect((await ownConv.listMessages(0, 10)).length).toBe(2);

      // An attachment of the conversation follows the workspace's files.
      const form = new FormData();
      form.append("file", new File([PNG], "receipt.png", { type: "image/png" }));
      const attached = await exports.default.fetch(
        new Request(`http://api.test/api/v1/conversations/${id}/attachments`, { method: "POST", headers: { Authorization: `Bearer ${conv.body.token}` }, body: form }),
      );
      expect(attached.status).toBe(201);
      expect(await listed(own, `${prefix}conv/${id}/`)).toHaveLength(1);
      expect(await listed(other, `${prefix}conv/${id}/`)).toEqual([]);
    }
  });
});
