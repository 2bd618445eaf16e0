import { describe, expect, it } from "vitest";
import { call, createSecretKey, signUp } from "./helpers";

describe("workspace settings", () => {
  it("reads and updates the workspace, audited", async () => {
    const s = await signUp("Settings");
    const got = await call("GET", "/api/v1/workspace", { token: s.access_token });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: s.workspace.id, name: "Settings", company_name: "Settings Inc", retention_days: null });

    const patched = await call("PATCH", "/api/v1/workspace", {
      token: s.access_token,
      body: { name: "Renamed", company_name: null, retention_days: 90 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "Renamed", company_name: null, retention_days: 90 });
    expect((await call("GET", "/api/v1/auth/me", { token: s.access_token })).body.workspace.name).toBe("Renamed");

    const audit = await call("GET", "/api/v1/audit-logs", { token: s.access_token });
    expect(audit.body.data[0]).toMatchObject({ action: "workspace.updated", metadata: { fields: ["name", "company_name", "retention_days"] } });
  });

  it("validates the fields", async () => {
    const s = await signUp("Settings");
    for (const body of [{}, { retention_days: 0 }, { retention_days: 99_999 }, { name: "" }, { plan: "enterprise" }]) {
      const res = await call("PATCH", "/api/v1/workspace", { token: s.access_token, body });
      expect(res.status).toBe(400);
    }
  });

  it("lets only admins change it", async () => {
    const s = await signUp("Settings");
    const manager = await createSecretKey(s.access_token, "manager");
    const viewer = await createSecretKey(s.access_token, "viewer");
    for (const key of [manager, viewer]) {
      expect((await call("GET", "/api/v1/workspace", { token: key.key })).status).toBe(200);
      expect((await call("PATCH", "/api/v1/workspace", { token: key.key, body: { name: "x" } })).status).toBe(403);
      expect((await call("DELETE", "/api/v1/workspace", { token: key.key, body: { confirm_name: "Settings" } })).status).toBe(403);
    }
  });

  it("closes the workspace only when its name is typed: sessions end and keys stop working", async () => {
    const s = await signUp("Closing");
    const key = await createSecretKey(s.access_token, "admin");
    const wrong = await call("DELETE", "/api/v1/workspace", { token: s.access_token, body: { confirm_name: "closing" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.field).toBe("confirm_name");

    expect((await call("DELETE", "/api/v1/workspace", { token: s.access_token, body: { confirm_name: "Closing" } })).status).toBe(204);
    expect((await call("GET", "/api/v1/workspace", { token: s.access_token })).status).toBe(401);
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: "correct horse battery staple" } })).status).toBe(401);
  });
});
