import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAssistant, signUp } from "./helpers";

describe("HTTP basics", () => {
  it("serves the OpenAPI 3.1 document generated from the schemas", async () => {
    const res = await call("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const paths = Object.keys(res.body.paths);
    for (const p of ["/api/v1/workspaces", "/api/v1/assistants", "/api/v1/assistants/{id}", "/api/v1/api-keys", "/api/v1/api-keys/{id}/rotate", "/api/v1/audit-logs", "/healthz", "/readyz"]) {
      expect(paths).toContain(p);
    }
    expect(res.body.components.schemas.Assistant.properties.tone.enum).toEqual(["friendly", "professional", "casual"]);
    expect(res.body.paths["/api/v1/api-keys"].post.requestBody).toBeDefined();
  });

  it("echoes a sane caller X-Request-Id and replaces a hostile one", async () => {
    const mine = await call("GET", "/healthz", { headers: { "x-request-id": "trace-12345678" } });
    expect(mine.headers.get("x-request-id")).toBe("trace-12345678");
    const hostile = await call("GET", "/healthz", { headers: { "x-request-id": "<script>alert(1)</script>" } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^req_/);
  });

  it("reports readiness of D1, R2, the vector store and analytics", async () => {
    const res = await call("GET", "/readyz");
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.checks.map((c: { name: string }) => c.name)).toEqual(["d1", "r2", "vector_store", "analytics", "JWT_SECRET", "ENCRYPTION_KEYS"]);
    expect(res.body.missing).toEqual([]);
  });

  it("never answers a 500 with a stack trace", async () => {
    // A broken D1 statement surfaces as a 500 with only a request id.
    const s = await signUp();
    await env.DB.prepare("alter table assistants rename to assistants_gone").run();
    try {
      const res = await call("GET", "/api/v1/assistants", { token: s.access_token });
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe("internal");
      expect(res.body.error.details.request_id).toBe(res.headers.get("x-request-id"));
      expect(JSON.stringify(res.body)).not.toMatch(/at |\.ts:|SQLITE|assistants_gone/);
    } finally {
      await env.DB.prepare("alter table assistants_gone rename to assistants").run();
    }
  });
});

describe("CORS on visitor routes", () => {
  it("allows a preflight only from an origin some assistant allows, and only on visitor routes", async () => {
    const s = await signUp();
    await createAssistant(s.access_token, { allowed_origins: ["https://shop.example.com"] });
    const preflight = (origin: string, path: string) =>
      exports.default.fetch(
        new Request(`http://api.test${path}`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
        }),
      );
    const ok = await preflight("https://shop.example.com", "/api/v1/conversations");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/Authorization/);

    const evil = await preflight("https://evil.example.com", "/api/v1/conversations");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();

    const staff = await preflight("https://shop.example.com", "/api/v1/api-keys");
    expect(staff.headers.get("access-control-allow-origin")).toBeNull();
  });
});
