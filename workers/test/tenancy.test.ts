import { describe, expect, it } from "vitest";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";

describe("tenant isolation", () => {
  it("answers 404 for every read and write of another workspace's objects", async () => {
    const a = await signUp("Alpha");
    const b = await signUp("Beta");
    const bAssistant = await createAssistant(b.access_token);
    const bKey = await createSecretKey(b.access_token, "viewer");
    const aAdminKey = await createSecretKey(a.access_token, "admin");

    for (const token of [a.access_token, aAdminKey.key]) {
      const attempts = [
        call("GET", `/api/v1/assistants/${bAssistant.id}`, { token }),
        call("PATCH", `/api/v1/assistants/${bAssistant.id}`, { token, body: { name: "pwned" } }),
        call("DELETE", `/api/v1/assistants/${bAssistant.id}`, { token }),
        call("POST", `/api/v1/api-keys/${bKey.id}/rotate`, { token }),
        call("DELETE", `/api/v1/api-keys/${bKey.id}`, { token }),
        call("POST", "/api/v1/api-keys", {
          token,
          body: { name: "steal", type: "publishable", assistant_id: bAssistant.id },
        }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe("not_found");
      }
    }

    // B's objects are untouched and B's key still works.
    const still = await call("GET", `/api/v1/assistants/${bAssistant.id}`, { token: b.access_token });
    expect(still.status).toBe(200);
    expect(still.body.name).toBe("Helper");
    expect((await call("GET", "/api/v1/assistants", { token: bKey.key })).status).toBe(200);

    // Lists and audit logs show only the caller's workspace.
    const aList = await call("GET", "/api/v1/assistants", { token: a.access_token });
    expect(aList.body.data).toEqual([]);
    const aKeys = await call("GET", "/api/v1/api-keys", { token: a.access_token });
    expect(aKeys.body.data.map((k: { id: string }) => k.id)).toEqual([aAdminKey.id]);
    const aAudit = await call("GET", "/api/v1/audit-logs?limit=100", { token: a.access_token });
    expect(JSON.stringify(aAudit.body)).not.toContain(bAssistant.id);
    expect(JSON.stringify(aAudit.body)).not.toContain(b.workspace.id);
  });

  it("does not reveal whether an id exists elsewhere: same answer as a made-up id", async () => {
    const a = await signUp("Alpha");
    const b = await signUp("Beta");
    const bAssistant = await createAssistant(b.access_token);
    const real = await call("GET", `/api/v1/assistants/${bAssistant.id}`, { token: a.access_token });
    const fake = await call("GET", "/api/v1/assistants/ast_AAAAAAAAAAAAAAAAAAAA", { token: a.access_token });
    expect(real.status).toBe(fake.status);
    expect(real.body.error.code).toBe(fake.body.error.code);
  });

  it("cannot page into another workspace with a crafted cursor", async () => {
    const a = await signUp("Alpha");
    const b = await signUp("Beta");
    await createAssistant(b.access_token);
    const crafted = btoa(JSON.stringify(["9999-12-31T00:00:00.000Z", "ast_zzzzzzzzzzzzzzzzzzzz"]))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const res = await call("GET", `/api/v1/assistants?cursor=${crafted}`, { token: a.access_token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });
});
