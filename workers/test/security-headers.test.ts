import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../src/http/app-env";
import { API_CSP, PAGE_CSP, securityHeaders } from "../src/http/middleware/security-headers";
import publicHeaders from "../../public/_headers?raw";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";

function expectHardened(headers: Headers, label: string) {
  expect(headers.get("x-content-type-options"), label).toBe("nosniff");
  expect(headers.get("strict-transport-security"), label).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
  expect(headers.get("x-frame-options"), label).toBe("DENY");
  expect(headers.get("referrer-policy"), label).toBe("no-referrer");
  expect(headers.get("content-security-policy"), label).toContain("frame-ancestors 'none'");
}

describe("security headers", () => {
  it("are on every kind of response the Worker sends", async () => {
    const s = await signUp("Headers");
    const assistant = await createAssistant(s.access_token);
    const key = await createSecretKey(s.access_token, "manager");
    const conv = await call("POST", "/api/v1/conversations", { token: key.key, body: { assistant_id: assistant.id, visitor_id: "h", channel: "api" } });
    const responses: [string, Headers][] = [
      ["json", (await call("GET", "/api/v1/assistants", { token: s.access_token })).headers],
      ["created", conv.headers],
      ["401", (await call("GET", "/api/v1/assistants")).headers],
      ["404", (await call("GET", "/api/v1/nope")).headers],
      ["405", (await call("PUT", "/api/v1/assistants", { token: s.access_token, body: {} })).headers],
      ["413", (await call("POST", "/api/v1/assistants", { token: s.access_token, body: { pad: "x".repeat(1_100_000) } })).headers],
      ["health", (await call("GET", "/healthz")).headers],
      ["openapi", (await call("GET", "/api/v1/openapi.json")).headers],
      ["webhook 401", (await call("POST", "/webhooks/stripe", { body: {} })).headers],
      ["openai-compatible", (await call("GET", "/v1/models", { token: key.key })).headers],
    ];
    const sse = await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/messages`, { token: key.key, body: { content: "Hi", stream: true } });
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    responses.push(["sse", sse.headers]);
    for (const [label, headers] of responses) {
      expectHardened(headers, label);
      expect(headers.get("content-security-policy"), label).toBe(API_CSP);
    }
  });

  it("give HTML pages a page policy and leave a route's own policy alone", async () => {
    const app = new Hono<AppEnv>();
    app.use("*", securityHeaders);
    app.get("/page", (c) => c.html("<p>hi</p>"));
    app.get("/own", (c) => c.json({}, 200, { "Content-Security-Policy": "default-src 'self'" }));
    const page = await app.request("/page", {}, env);
    expectHardened(page.headers, "page");
    expect(page.headers.get("content-security-policy")).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).not.toContain("unsafe-eval");
    expect((await app.request("/own", {}, env)).headers.get("content-security-policy")).toBe("default-src 'self'");
  });

  it("static assets get theirs from public/_headers", () => {
    // The assets binding serves public/ without running the Worker; wrangler turns this file
    // into those responses' headers (the test runtime does not apply it, so its rules are read
    // and matched here the way Cloudflare matches them: every matching rule applies).
    const rules: { pattern: RegExp; headers: string[] }[] = [];
    for (const line of publicHeaders.split("\n")) {
      if (!line.trim() || line.trimStart().startsWith("#")) continue;
      if (!/^\s/.test(line)) rules.push({ pattern: new RegExp(`^${line.trim().replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`), headers: [] });
      else rules.at(-1)!.headers.push(line.trim());
    }
    const headersOf = (path: string) => rules.filter((r) => r.pattern.test(path)).flatMap((r) => r.headers);
    const named = (path: string, name: string) => headersOf(path).filter((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`));

    for (const path of ["/demo/", "/demo/index.html", "/demo/config.js", "/widget/v0.1.0/widget.js", "/robots.txt"]) {
      // Set exactly once: a second rule would join the values with a comma.
      expect(named(path, "X-Content-Type-Options"), path).toEqual(["X-Content-Type-Options: nosniff"]);
      expect(named(path, "Strict-Transport-Security"), path).toEqual([expect.stringMatching(/max-age=\d{8,}; includeSubDomains$/)]);
      expect(named(path, "Referrer-Policy"), path).toHaveLength(1);
    }
    const csp = named("/demo/index.html", "Content-Security-Policy");
    expect(csp).toHaveLength(1);
    expect(csp[0]).toContain("frame-ancestors 'none'");
    expect(csp[0]).toContain("object-src 'none'");
    expect(csp[0]).not.toContain("unsafe-eval");
    expect(named("/demo/index.html", "X-Frame-Options")).toEqual(["X-Frame-Options: DENY"]);
    // The widget's files are embedded in customers' sites: never a framing ban there.
    expect(named("/widget/v0.1.0/widget.js", "X-Frame-Options")).toEqual([]);
    expect(named("/widget/v0.1.0/widget.js", "Content-Security-Policy")).toEqual([]);
  });
});

describe("CORS", () => {
  it("is granted only to origins an assistant allows, only on the widget's routes", async () => {
    const s = await signUp("Cors");
    await createAssistant(s.access_token, { allowed_origins: ["https://allowed.example"] });
    const preflight = (origin: string, path: string) =>
      call("OPTIONS", path, { headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });

    const ok = await preflight("https://allowed.example", "/api/v1/conversations");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://allowed.example");
    expect(ok.headers.get("access-control-allow-credentials")).toBeNull();

    const evil = await preflight("https://evil.example", "/api/v1/conversations");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const nullOrigin = await preflight("null", "/api/v1/conversations");
    expect(nullOrigin.headers.get("access-control-allow-origin")).toBeNull();

    // Admin routes never answer cross-origin, even to an allowed widget origin.
    for (const path of ["/api/v1/assistants", "/api/v1/billing", "/api/v1/api-keys", "/api/v1/visitors/v/export"]) {
      const res = await call("GET", path, { token: s.access_token, headers: { origin: "https://allowed.example" } });
      expect(res.headers.get("access-control-allow-origin"), path).toBeNull();
    }
  });
});

describe("output is data, never markup", () => {
  it("echoes hostile text only inside JSON that browsers will not sniff", async () => {
    const s = await signUp("Escape");
    const script = "<script>alert(document.cookie)</script>";
    const created = await call("POST", "/api/v1/assistants", { token: s.access_token, body: { name: script } });
    expect(created.status).toBe(201);
    const refused = await call("GET", `/api/v1/assistants/${encodeURIComponent(script)}`, { token: s.access_token });
    for (const res of [created, refused, await call("GET", `/api/v1/${encodeURIComponent(script)}`)]) {
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    }
    expect(created.body.name).toBe(script); // stored and returned literally, as data
  });
});
