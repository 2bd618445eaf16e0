import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createSecretKey, PASSWORD, signUp, uniqueEmail } from "./helpers";

/** Invites `email` as `role` and accepts the invitation; returns the new member's session. */
async function join(adminToken: string, role: "admin" | "manager" | "viewer", email = uniqueEmail(role)) {
  const invite = await call("POST", "/api/v1/team/invites", { token: adminToken, body: { email, role } });
  expect(invite.status).toBe(201);
  const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: invite.body.token, password: PASSWORD, name: `A ${role}` } });
  expect(accepted.status).toBe(201);
  return accepted.body as { user: { id: string; role: string }; access_token: string; refresh_token: string; workspace: { id: string } };
}

describe("team and invitations", () => {
  it("invites by a one-time link that creates the member with the invite's role and signs them in", async () => {
    const s = await signUp("Team");
    const email = uniqueEmail("new");
    const invite = await call("POST", "/api/v1/team/invites", { token: s.access_token, body: { email: email.toUpperCase(), role: "manager" } });
    expect(invite.status).toBe(201);
    expect(invite.body).toMatchObject({ id: expect.stringMatching(/^inv_/), email, role: "manager", status: "pending" });
    expect(invite.body.token).toMatch(/^ivt_[0-9A-Za-z]{40}$/);
    expect(invite.body.url).toBe(`http://localhost:8788/invite/${invite.body.token}`);
    const days = (Date.parse(invite.body.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    // Stored only as a hash.
    const row = await env.DB.prepare("select token_hash from invites where id = ?").bind(invite.body.id).first<{ token_hash: string }>();
    expect(row!.token_hash).not.toContain(invite.body.token);
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: invite.body.token, password: PASSWORD, name: "Nora" } });
    expect(accepted.status).toBe(201);
    expect(accepted.body.user).toMatchObject({ email, role: "manager", name: "Nora", workspace_id: s.workspace.id });
    expect(accepted.body.access_token).toBeTruthy();
    expect((await call("GET", "/api/v1/auth/me", { token: accepted.body.access_token })).body.user.email).toBe(email);

    // Used once.
    const again = await call("POST", "/api/v1/invites/accept", { body: { token: invite.body.token, password: PASSWORD } });
    expect(again.status).toBe(404);

    const team = await call("GET", "/api/v1/team", { token: s.access_token });
    expect(team.status).toBe(200);
    expect(team.body.data.map((m: { email: string }) => m.email)).toEqual([s.email, email]);
    expect(team.body.data[0]).not.toHaveProperty("password_hash");

    const invites = await call("GET", "/api/v1/team/invites", { token: s.access_token });
    expect(invites.body.data[0]).toMatchObject({ id: invite.body.id, status: "accepted" });
    expect(invites.body.data[0]).not.toHaveProperty("token");

    const audit = await call("GET", "/api/v1/audit-logs?limit=100", { token: s.access_token });
    const actions = audit.body.data.map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["invite.created", "invite.accepted"]));
  });

  it("refuses expired, revoked, replaced and made-up invitation tokens", async () => {
    const s = await signUp("Team");
    const email = uniqueEmail("x");
    const first = await call("POST", "/api/v1/team/invites", { token: s.access_token, body: { email, role: "viewer" } });
    const second = await call("POST", "/api/v1/team/invites", { token: s.access_token, body: { email, role: "manager" } });
    expect(second.status).toBe(201);
    // The resend replaced the first link.
    expect((await call("POST", "/api/v1/invites/accept", { body: { token: first.body.token, password: PASSWORD } })).status).toBe(404);

    const revoked = await call("DELETE", `/api/v1/team/invites/${second.body.id}`, { token: s.access_token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe("revoked");
    expect((await call("POST", "/api/v1/invites/accept", { body: { token: second.body.token, password: PASSWORD } })).status).toBe(404);

    const third = await call("POST", "/api/v1/team/invites", { token: s.access_token, body: { email, role: "viewer" } });
    await env.DB.prepare("update invites set expires_at = ? where id = ?").bind(new Date(Date.now() - 1000).toISOString(), third.body.id).run();
    expect((await call("POST", "/api/v1/invites/accept", { body: { token: third.body.token, password: PASSWORD } })).status).toBe(404);
    const list = await call("GET", "/api/v1/team/invites", { token: s.access_token });
    expect(list.body.data.find((i: { id: string }) => i.id === third.body.id).status).toBe("expired");

    const fake = await call("POST", "/api/v1/invites/accept", { body: { token: "ivt_" + "a".repeat(40), password: PASSWORD } });
    expect(fake.status).toBe(404);
    const weak = await call("POST", "/api/v1/invites/accept", { body: { token: third.body.token, password: "short" } });
    expect(weak.status).toBe(400);
  });

  it("refuses to invite a member twice, and never lets an invitation take over an account elsewhere", async () => {
    const a = await signUp("Alpha");
    const b = await signUp("Beta");
    const self = await call("POST", "/api/v1/team/invites", { token: a.access_token, body: { email: a.email, role: "viewer" } });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe("conflict");

    // Inviting an address registered elsewhere answers like any invitation (no registry lookup for
    // admins); its link then fails exactly like a dead one, and the account is left as it was.
    const res = await call("POST", "/api/v1/team/invites", { token: a.access_token, body: { email: b.email, role: "viewer" } });
    expect(res.status).toBe(201);
    const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: res.body.token, password: "another passphrase!" } });
    const dead = await call("POST", "/api/v1/invites/accept", { body: { token: "ivt_" + "b".repeat(40), password: "another passphrase!" } });
    expect(accepted.status).toBe(404);
    expect(accepted.body).toEqual(dead.body);
    const login = await call("POST", "/api/v1/auth/login", { body: { email: b.email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.workspace.id).toBe(b.workspace.id);
  });

  it("changes roles, but never demotes the last admin", async () => {
    const s = await signUp("Team");
    const manager = await join(s.access_token, "manager");
    const promoted = await call("PATCH", `/api/v1/team/${manager.user.id}`, { token: s.access_token, body: { role: "admin" } });
    expect(promoted.status).toBe(200);
    expect(promoted.body.role).toBe("admin");
    // The change applies to the member's existing token at once.
    expect((await call("GET", "/api/v1/team/invites", { token: manager.access_token })).status).toBe(200);

    expect((await call("PATCH", `/api/v1/team/${s.user.id}`, { token: s.access_token, body: { role: "viewer" } })).status).toBe(200);
    const last = await call("PATCH", `/api/v1/team/${manager.user.id}`, { token: manager.access_token, body: { role: "manager" } });
    expect(last.status).toBe(409);
    expect(last.body.error.details.reason).toBe("last_admin");
    const bad = await call("PATCH", `/api/v1/team/${manager.user.id}`, { token: manager.access_token, body: { role: "owner" } });
    expect(bad.status).toBe(400);
  });

  it("removes members (soft delete, sessions end), but not yourself or the last admin", async () => {
    const s = await signUp("Team");
    const viewer = await join(s.access_token, "viewer");
    expect((await call("DELETE", `/api/v1/team/${s.user.id}`, { token: s.access_token })).body.error.details.reason).toBe("self");

    const removed = await call("DELETE", `/api/v1/team/${viewer.user.id}`, { token: s.access_token });
    expect(removed.status).toBe(204);
    expect((await call("GET", "/api/v1/team", { token: viewer.access_token })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: viewer.refresh_token } })).status).toBe(401);
    const row = await env.DB.prepare("select deleted_at from users where id = ?").bind(viewer.user.id).first<{ deleted_at: string | null }>();
    expect(row!.deleted_at).toBeTruthy();
    expect((await call("DELETE", `/api/v1/team/${viewer.user.id}`, { token: s.access_token })).status).toBe(404);

    // An admin key cannot remove the only admin either.
    const key = await createSecretKey(s.access_token, "admin");
    const res = await call("DELETE", `/api/v1/team/${s.user.id}`, { token: key.key });
    expect(res.status).toBe(409);
    expect(res.body.error.details.reason).toBe("last_admin");
  });

  it("lets a removed member be invited back to the same workspace", async () => {
    const s = await signUp("Team");
    const email = uniqueEmail("back");
    const first = await join(s.access_token, "viewer", email);
    await call("DELETE", `/api/v1/team/${first.user.id}`, { token: s.access_token });
    const again = await join(s.access_token, "manager", email);
    expect(again.user.id).toBe(first.user.id);
    expect(again.user.role).toBe("manager");
  });

  it("lets everyone read the team but only admins change it", async () => {
    const s = await signUp("Team");
    const manager = await join(s.access_token, "manager");
    const viewer = await join(s.access_token, "viewer");
    for (const token of [manager.access_token, viewer.access_token]) {
      expect((await call("GET", "/api/v1/team", { token })).status).toBe(200);
      const attempts = [
        call("GET", "/api/v1/team/invites", { token }),
        call("POST", "/api/v1/team/invites", { token, body: { email: uniqueEmail("no"), role: "admin" } }),
        call("PATCH", `/api/v1/team/${viewer.user.id}`, { token, body: { role: "admin" } }),
        call("DELETE", `/api/v1/team/${s.user.id}`, { token }),
      ];
      for (const res of await Promise.all(attempts)) expect(res.status).toBe(403);
    }
  });

  it("answers 404 for another workspace's members and invitations", async () => {
    const a = await signUp("Alpha");
    const b = await signUp("Beta");
    const bViewer = await join(b.access_token, "viewer");
    const bInvite = await call("POST", "/api/v1/team/invites", { token: b.access_token, body: { email: uniqueEmail("b"), role: "viewer" } });
    const attempts = [
      call("PATCH", `/api/v1/team/${bViewer.user.id}`, { token: a.access_token, body: { role: "admin" } }),
      call("DELETE", `/api/v1/team/${bViewer.user.id}`, { token: a.access_token }),
      call("DELETE", `/api/v1/team/invites/${bInvite.body.id}`, { token: a.access_token }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);
    const team = await call("GET", "/api/v1/team", { token: a.access_token });
    expect(team.body.data).toHaveLength(1);
    expect((await call("GET", "/api/v1/team/invites", { token: a.access_token })).body.data).toEqual([]);
  });
});
