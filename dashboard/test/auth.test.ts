import { describe, expect, it } from "vitest";
import * as appLayout from "../app/routes/_app";
import * as account from "../app/routes/_app.account";
import * as index from "../app/routes/_index";
import * as invite from "../app/routes/invite.$token";
import * as login from "../app/routes/login";
import * as logout from "../app/routes/logout";
import * as signup from "../app/routes/signup";
import { sessionStorage } from "../app/lib/session.server";
import { apiCall, Browser, PASSWORD, signedUpBrowser, testContext, uniqueEmail } from "./harness";

describe("sign-up, sign-in and the session cookie", () => {
  it("signs up through the API and keeps the session in an HttpOnly, Secure, SameSite cookie", async () => {
    const browser = new Browser();
    await browser.open();
    const out = await browser.submit(signup.action, "/signup", { workspace_name: "Cookie Co", email: uniqueEmail("c"), password: PASSWORD });
    expect(out.status).toBe(302);
    expect(out.location).toBe("/overview");
    const cookie = out.headers.getSetCookie().find((c) => c.startsWith("edgedesk_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // The cookie is signed: the tokens are inside, but no script can read them and no one can forge them.
    expect(cookie).not.toMatch(/rtf_/);

    const layout = await browser.load(appLayout.loader, "/overview");
    expect(layout.status).toBe(200);
    expect(layout.data.workspace.name).toBe("Cookie Co");
    expect(layout.data.user.role).toBe("admin");
    expect((await browser.load(index.loader, "/")).location).toBe("/overview");
  });

  it("shows the API's validation errors next to the fields, and answers a taken email like a free one without signing in", async () => {
    const { email } = await signedUpBrowser("Taken");
    const browser = new Browser();
    await browser.open();
    const weak = await browser.submit(signup.action, "/signup", { workspace_name: "X", email: uniqueEmail("w"), password: "short" });
    expect(weak.status).toBe(400);
    expect(weak.data.error.fields.password).toBeTruthy();
    // The API never says an address is registered: the answer is a sign-up's, but its session opens
    // nothing, so the next page sends the browser to sign in with the account's real password.
    const taken = await browser.submit(signup.action, "/signup", { workspace_name: "X", email, password: PASSWORD });
    expect(taken.status).toBe(302);
    expect(taken.location).toBe("/overview");
    const next = await browser.load(appLayout.loader, "/overview");
    expect(next.status).toBe(302);
    expect(next.location).toBe(`/login?next=${encodeURIComponent("/overview")}`);
  });

  it("refuses forms without this browser's CSRF token or from another site", async () => {
    const browser = new Browser();
    await browser.open();
    const missing = await browser.submit(login.action, "/login", { email: "a@b.test", password: "x" }, { csrf: false });
    expect(missing.status).toBe(403);
    const other = new Browser();
    await other.open();
    browser.csrf = other.csrf; // a token from another browser
    expect((await browser.submit(login.action, "/login", { email: "a@b.test", password: "x" })).status).toBe(403);
    await browser.open();
    const crossSite = await browser.submit(login.action, "/login", { email: "a@b.test", password: "x" }, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
  });

  it("signs in, says plainly when the password is wrong, and follows only same-site next links", async () => {
    const { email } = await signedUpBrowser("Login");
    const browser = new Browser();
    await browser.open();
    const wrong = await browser.submit(login.action, "/login", { email, password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(wrong.data.error.message).toMatch(/incorrect/);
    const evil = await browser.submit(login.action, "/login", { email, password: PASSWORD, next: "//evil.example/x" });
    expect(evil.location).toBe("/overview");
    const ok = await browser.submit(login.action, "/login", { email, password: PASSWORD, next: "/team" });
    expect(ok.location).toBe("/team");
    expect((await browser.load(login.loader, "/login")).location).toBe("/overview");
  });

  it("sends signed-out browsers to the sign-in page, remembering where they were going", async () => {
    const browser = new Browser();
    const out = await browser.load(appLayout.loader, "/conversations?status=active");
    expect(out.status).toBe(302);
    expect(out.location).toBe(`/login?next=${encodeURIComponent("/conversations?status=active")}`);
  });

  it("renews an expiring access token with the refresh token and sets the new cookie", async () => {
    const { browser } = await signedUpBrowser("Renew");
    // Age the access token in the cookie as if it were a day old.
    const storage = sessionStorage(testContext().cloudflare.env);
    const session = await storage.getSession(browser.cookieHeader());
    const oldRefresh = session.get("refresh_token");
    session.set("access_token_expires_at", new Date(Date.now() - 1000).toISOString());
    browser.absorb(new Headers({ "set-cookie": await storage.commitSession(session) }));

    const out = await browser.load(appLayout.loader, "/overview");
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().some((c) => c.startsWith("edgedesk_session="))).toBe(true);
    const renewed = await storage.getSession(browser.cookieHeader());
    expect(renewed.get("refresh_token")).not.toBe(oldRefresh);
    expect(Date.parse(renewed.get("access_token_expires_at")!)).toBeGreaterThan(Date.now());
    // The spent refresh token is really spent.
    expect((await apiCall("POST", "/auth/refresh", { body: { refresh_token: oldRefresh } })).status).toBe(401);
  });

  it("signs out: the API session ends and the cookie is cleared", async () => {
    const { browser } = await signedUpBrowser("Logout");
    const storage = sessionStorage(testContext().cloudflare.env);
    const refresh = (await storage.getSession(browser.cookieHeader())).get("refresh_token");
    const out = await browser.submit(logout.action, "/logout");
    expect(out.location).toBe("/login");
    expect(browser.cookies.has("edgedesk_session")).toBe(false);
    expect((await apiCall("POST", "/auth/refresh", { body: { refresh_token: refresh } })).status).toBe(401);
    expect((await browser.load(logout.loader, "/logout")).location).toBe("/");
  });

  it("accepts an invitation: the account is created and signed in", async () => {
    const { token } = await signedUpBrowser("Inviting");
    const email = uniqueEmail("invitee");
    const inv = await apiCall("POST", "/team/invites", { token, body: { email, role: "manager" } });
    const browser = new Browser();
    await browser.open();
    expect((await browser.load(invite.loader, `/invite/${inv.body.token}`, { token: inv.body.token })).data.token).toBe(inv.body.token);
    const out = await browser.submit(invite.action, `/invite/${inv.body.token}`, { password: PASSWORD, name: "Ivy" }, { params: { token: inv.body.token } });
    expect(out.location).toBe("/overview");
    const me = await browser.load(appLayout.loader, "/overview");
    expect(me.data.user).toMatchObject({ email, role: "manager", name: "Ivy" });
    const again = await new Browser().submit(invite.action, `/invite/${inv.body.token}`, { password: PASSWORD }, { params: { token: inv.body.token }, csrf: false });
    expect(again.status).toBe(403);
  });

  it("changes the password and stays signed in with a fresh session; the user's other sessions end at once", async () => {
    const { browser, email, token: elsewhere } = await signedUpBrowser("Password");
    expect((await apiCall("GET", "/auth/me", { token: elsewhere })).status).toBe(200);
    const wrong = await browser.submit(account.action, "/account", { current_password: "nope nope nope", new_password: "a brand new password" });
    expect(wrong.status).toBe(400);
    expect(wrong.data.error.fields.current_password).toBeTruthy();
    const ok = await browser.submit(account.action, "/account", { current_password: PASSWORD, new_password: "a brand new password" });
    expect(ok.location).toBe("/account?changed=1");
    expect((await browser.load(appLayout.loader, "/account")).status).toBe(200);
    expect((await apiCall("POST", "/auth/login", { body: { email, password: "a brand new password" } })).status).toBe(200);
    // The sign-in made beside the browser's: its access token no longer opens anything.
    expect((await apiCall("GET", "/auth/me", { token: elsewhere })).status).toBe(401);
  });
});
