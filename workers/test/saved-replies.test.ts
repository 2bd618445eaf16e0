import { describe, expect, it } from "vitest";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";

async function create(token: string, title: string, body: string) {
  const res = await call("POST", "/api/v1/saved-replies", { token, body: { title, body } });
  expect(res.status).toBe(201);
  return res.body as { id: string; title: string; use_count: number };
}

describe("saved replies", () => {
  it("lists the most used first, then by title, and narrows by a search", async () => {
    const s = await signUp("Replies");
    const refund = await create(s.access_token, "Refund policy", "Refunds take 5 days.");
    const hello = await create(s.access_token, "Hello", "Hi {{visitor.name}}!");
    const bye = await create(s.access_token, "bye", "Thanks for writing, {{ visitor.name }}.");
    const titles = async (q = "") => (await call("GET", `/api/v1/saved-replies${q}`, { token: s.access_token })).body.data.map((r: { title: string }) => r.title);
    expect(await titles()).toEqual(["bye", "Hello", "Refund policy"]);

    for (let i = 0; i < 2; i++) expect((await call("POST", `/api/v1/saved-replies/${refund.id}/use`, { token: s.access_token, body: {} })).status).toBe(200);
    const used = await call("POST", `/api/v1/saved-replies/${hello.id}/use`, { token: s.access_token, body: {} });
    expect(used.body).toMatchObject({ reply: { id: hello.id, use_count: 1 }, text: null });
    expect(await titles()).toEqual(["Refund policy", "Hello", "bye"]);
    expect(await titles("?q=thanks")).toEqual(["bye"]);
    expect(await titles("?q=50%25")).toEqual([]); // LIKE wildcards are literal

    const page1 = await call("GET", "/api/v1/saved-replies?limit=2", { token: s.access_token });
    expect(page1.body.data.map((r: { id: string }) => r.id)).toEqual([refund.id, hello.id]);
    const page2 = await call("GET", `/api/v1/saved-replies?limit=2&cursor=${page1.body.next_cursor}`, { token: s.access_token });
    expect(page2.body).toMatchObject({ data: [{ id: bye.id }], next_cursor: null });

    expect((await call("POST", "/api/v1/saved-replies", { token: s.access_token, body: { title: "Hello", body: "again" } })).status).toBe(409);
    const renamed = await call("PATCH", `/api/v1/saved-replies/${bye.id}`, { token: s.access_token, body: { title: "Goodbye" } });
    expect(renamed.body).toMatchObject({ title: "Goodbye", body: "Thanks for writing, {{ visitor.name }}." });
    expect((await call("DELETE", `/api/v1/saved-replies/${bye.id}`, { token: s.access_token })).status).toBe(204);
    expect((await call("GET", `/api/v1/saved-replies/${bye.id}`, { token: s.access_token })).status).toBe(404);
  });

  it("fills the variables for a conversation when a reply is used", async () => {
    const s = await signUp("Fill");
    const assistant = await createAssistant(s.access_token, { name: "Nova" });
    const reply = await create(s.access_token, "Greeting", "Hi {{visitor.name}}, {{assistant.name}} here. Transcript: {{conversation.link}}");
    const named = await call("POST", "/api/v1/conversations", {
      token: s.access_token,
      body: { assistant_id: assistant.id, visitor_id: "v-1", channel: "api", metadata: { name: "Maya" } },
    });
    const filled = await call("POST", `/api/v1/saved-replies/${reply.id}/use`, { token: s.access_token, body: { conversation_id: named.body.conversation_id } });
    expect(filled.status).toBe(200);
    expect(filled.body.text).toBe(`Hi Maya, Nova here. Transcript: http://localhost:8788/conversations/${named.body.conversation_id}`);
    const anonymous = await call("POST", "/api/v1/conversations", { token: s.access_token, body: { assistant_id: assistant.id, visitor_id: "v-2", channel: "api" } });
    const plain = await call("POST", `/api/v1/saved-replies/${reply.id}/use`, { token: s.access_token, body: { conversation_id: anonymous.body.conversation_id } });
    expect(plain.body.text).toMatch(/^Hi there, Nova here\./);
    expect(plain.body.reply.use_count).toBe(2);
  });

  it("refuses unknown variables and bad input with the API's error shape", async () => {
    const s = await signUp("BadReply");
    const unknown = await call("POST", "/api/v1/saved-replies", { token: s.access_token, body: { title: "X", body: "Hi {{visitor.email}}" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("invalid_request");
    expect(JSON.stringify(unknown.body.error.details)).toContain("unknown variable");
    expect((await call("POST", "/api/v1/saved-replies", { token: s.access_token, body: { title: "", body: "x" } })).status).toBe(400);
    expect((await call("POST", "/api/v1/saved-replies", { token: s.access_token, body: { title: "x", body: "y", extra: 1 } })).status).toBe(400);
    expect((await call("PATCH", "/api/v1/saved-replies/srp_doesnotexist00000000", { token: s.access_token, body: {} })).status).toBe(400);
    expect((await call("GET", "/api/v1/saved-replies?cursor=nonsense", { token: s.access_token })).status).toBe(400);
  });

  it("is described in the OpenAPI document", async () => {
    const doc = await call("GET", "/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/saved-replies", "/api/v1/saved-replies/{id}", "/api/v1/saved-replies/{id}/use", "/api/v1/conversations/{id}/crm-contact"]),
    );
    expect(doc.body.components.schemas.SavedReply.properties).toHaveProperty("use_count");
  });

  it("lets viewers read but not edit or use, and keeps workspaces apart", async () => {
    const s = await signUp("RoleReply");
    const reply = await create(s.access_token, "Hours", "We answer 9 to 5.");
    const viewer = await createSecretKey(s.access_token, "viewer");
    const manager = await createSecretKey(s.access_token, "manager");
    expect((await call("GET", "/api/v1/saved-replies", { token: viewer.key })).body.data).toHaveLength(1);
    for (const [method, path, body] of [
      ["POST", "/api/v1/saved-replies", { title: "New", body: "text" }],
      ["PATCH", `/api/v1/saved-replies/${reply.id}`, { title: "Changed" }],
      ["DELETE", `/api/v1/saved-replies/${reply.id}`, undefined],
      ["POST", `/api/v1/saved-replies/${reply.id}/use`, {}],
    ] as const) {
      const res = await call(method, path, { token: viewer.key, body });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
    expect((await call("PATCH", `/api/v1/saved-replies/${reply.id}`, { token: manager.key, body: { body: "We answer 8 to 6." } })).status).toBe(200);

    const other = await signUp("OtherReply");
    expect((await call("GET", "/api/v1/saved-replies", { token: other.access_token })).body.data).toEqual([]);
    expect((await call("GET", `/api/v1/saved-replies/${reply.id}`, { token: other.access_token })).status).toBe(404);
    expect((await call("PATCH", `/api/v1/saved-replies/${reply.id}`, { token: other.access_token, body: { title: "Mine" } })).status).toBe(404);
    expect((await call("POST", `/api/v1/saved-replies/${reply.id}/use`, { token: other.access_token, body: {} })).status).toBe(404);
    expect((await call("GET", `/api/v1/saved-replies/${reply.id}`, { token: s.access_token })).body.body).toBe("We answer 8 to 6.");
  });
});
