import { describe, expect, it } from "vitest";
import * as settings from "../app/routes/_app.settings";
import * as login from "../app/routes/login";
import * as ssoComplete from "../app/routes/sso.complete";
import { Browser, memberBrowser, signedUpBrowser } from "./harness";

describe("single sign-on in the dashboard", () => {
  it("lets admins save the SSO settings, with the API's errors next to the fields, and hides them from others", async () => {
    const s = await signedUpBrowser("SsoSettings");
    const page = await s.browser.load(settings.loader, "/settings");
    expect(page.status).toBe(200);
    expect(page.data.sso).toMatchObject({ configured: false, redirect_uri: expect.stringMatching(/\/api\/v1\/auth\/sso\/callback$/) });

    const fields = { intent: "sso", issuer: "https://accounts.google.com", client_id: "client-123", client_secret: "s3cret-value", allowed_domains: "Acme.com, @acme.co.uk", default_role: "manager", enabled: "on" };
    const saved = await s.browser.submit(settings.action, "/settings", fields);
    expect(saved.status).toBe(200);
    expect(saved.data.result).toMatchObject({ client_secret_set: true, allowed_domains: ["acme.co.uk", "acme.com"], default_role: "manager", required: false });
    expect(JSON.stringify(saved.data)).not.toContain("s3cret-value");

    const insecure = await s.browser.submit(settings.action, "/settings", { ...fields, issuer: "http://idp.example.com" });
    expect(insecure.status).toBe(400);
    expect(insecure.data.error.fields.issuer).toMatch(/https/);
    const notEnterprise = await s.browser.submit(settings.action, "/settings", { ...fields, required: "on" });
    expect(notEnterprise.status).toBe(402);
    expect(notEnterprise.data.error.message).toMatch(/enterprise/);

    const viewer = await memberBrowser(s.token, "viewer");
    const viewerPage = await viewer.browser.load(settings.loader, "/settings");
    expect(viewerPage.status).toBe(200);
    expect(viewerPage.data.sso).toBeNull();
    expect((await viewer.browser.submit(settings.action, "/settings", fields)).status).toBe(403);
  });

  it("sends “Sign in with SSO” to the API's start URL for an email, a domain or a workspace id", async () => {
    const browser = new Browser();
    await browser.open();
    const byEmail = await browser.submit(login.action, "/login", { intent: "sso", sso_identifier: "Ann@Acme.com", next: "/team" });
    const url = new URL(byEmail.data.result.url);
    expect(url.pathname).toBe("/api/v1/auth/sso/start");
    expect(Object.fromEntries(url.searchParams)).toEqual({ email: "ann@acme.com", next: "/team" });
    const byDomain = await browser.submit(login.action, "/login", { intent: "sso", sso_identifier: "acme.com" });
    expect(new URL(byDomain.data.result.url).searchParams.get("domain")).toBe("acme.com");
    const byWorkspace = await browser.submit(login.action, "/login", { intent: "sso", sso_identifier: "ws_abcdefghijklmnopqrst", next: "//evil.example" });
    expect(Object.fromEntries(new URL(byWorkspace.data.result.url).searchParams)).toEqual({ workspace: "ws_abcdefghijklmnopqrst", next: "/overview" });
    const empty = await browser.submit(login.action, "/login", { intent: "sso", sso_identifier: "" });
    expect(empty.status).toBe(400);
    expect(empty.data.error.fields.sso_identifier).toBeTruthy();
  });

  it("sends a browser with an unusable sign-in code back to the sign-in page with the reason", async () => {
    const browser = new Browser();
    const out = await browser.load(ssoComplete.loader, "/sso/complete?code=made-up-code");
    expect(out.status).toBe(302);
    const target = new URL(out.location!, "http://localhost");
    expect(target.pathname).toBe("/login");
    expect(target.searchParams.get("sso_error")).toMatch(/invalid, used or expired/);
    expect(browser.cookies.has("edgedesk_session")).toBe(false);
  });
});
