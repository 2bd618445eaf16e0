import type { AppLoadContext } from "@remix-run/cloudflare";
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { newRequestState } from "../load-context";
import { loader as rootLoader } from "../app/root";
import { DashboardMisconfigured, misconfigurationResponse, type DashboardEnv } from "../app/lib/env.server";
import * as login from "../app/routes/login";
import { apiCall, PASSWORD, signedUpBrowser, ORIGIN } from "./harness";

/** A load context like the Pages function builds, for a deployment with these settings only. */
function contextWith(env: DashboardEnv): AppLoadContext {
  return { cloudflare: { env: { API_URL: inject("apiUrl"), ...env } }, dashboard: newRequestState() } as AppLoadContext;
}

describe("the dashboard without SESSION_SECRET", () => {
  it("answers every request with 503 naming SESSION_SECRET, and runs once a real one is set", () => {
    for (const env of [{}, { SESSION_SECRET: "" }, { SESSION_SECRET: "too-short-to-sign-cookies" }]) {
      const refused = misconfigurationResponse(env);
      expect(refused?.status).toBe(503);
    }
    expect(misconfigurationResponse({ SESSION_SECRET: "x".repeat(32) })).toBeNull();
  });

  it("says what is missing without showing any value", async () => {
    const weak = "weak-session-secret-of-31-chars";
    const text = await misconfigurationResponse({ SESSION_SECRET: weak })!.text();
    expect(text).toMatch(/SESSION_SECRET is shorter than 32 characters/);
    expect(text).not.toContain(weak);
  });

  it("hands out no CSRF token and signs nobody in, even with the right password", async () => {
    const { email, token } = await signedUpBrowser("NoSecret");
    const before = await apiCall("GET", "/team", { token });
    for (const env of [{}, { ENVIRONMENT: "development" }, { ENVIRONMENT: "production" }] satisfies DashboardEnv[]) {
      const page = rootLoader({ request: new Request(`${ORIGIN}/login`), params: {}, context: contextWith(env) });
      await expect(page).rejects.toBeInstanceOf(DashboardMisconfigured);

      const form = new FormData();
      form.set("email", email);
      form.set("password", PASSWORD);
      const post = new Request(`${ORIGIN}/login`, { method: "POST", body: form, headers: { Origin: ORIGIN } });
      await expect(login.action({ request: post, params: {}, context: contextWith(env) })).rejects.toThrow(/SESSION_SECRET is not set/);
    }
    // The refused sign-ins never reached the API: the account's last sign-in is the one before.
    const after = await apiCall("GET", "/team", { token });
    expect(after.body.data[0]).toMatchObject({ email, last_login_at: before.body.data[0].last_login_at });
    expect(before.body.data[0].last_login_at).toEqual(expect.any(String));
  });
});
