import { env } from "cloudflare:test";
import { sign } from "hono/jwt";
import { describe, expect, it, vi } from "vitest";
import { call } from "./helpers";
import { configure, eventually, shopWorkspace, type ShopWorkspace } from "./channel-helpers";

/** What the fake HubSpot holds for one token (one HubSpot account). */
interface Portal {
  portalId: number;
  contacts: { id: string; properties: Record<string, string> }[];
  notes: { id: string; properties: { hs_note_body: string; hs_timestamp: string }; associations: { to: { id: string }; types: { associationCategory: string; associationTypeId: number }[] }[] }[];
  requests: { method: string; path: string; status: number; authorization: string | undefined }[];
}

/** A private app token of a HubSpot account of its own. */
const newToken = () => `pat-na1-${crypto.randomUUID()}`;

async function portal(token: string): Promise<Portal> {
  return (await (await fetch(`${env.HUBSPOT_FAKE_URL}/_portal/${token}`)).json()) as Portal;
}

async function seedContact(token: string, props: Record<string, string>) {
  const res = await fetch(`${env.HUBSPOT_FAKE_URL}/_portal/${token}/contacts`, { method: "POST", body: JSON.stringify(props) });
  return (await res.json()) as { id: string };
}

/** Connects the workspace to the fake HubSpot; `steps` scripts the note calls (`429:1,ok`, `500,ok`). */
async function connectHubSpot(ws: ShopWorkspace, token: string, steps = "ok") {
  await configure(ws.token, "hubspot", { config: { api_base_url: `${env.HUBSPOT_FAKE_URL}/${steps}` }, secrets: { access_token: token } });
}

/** A conversation with a question answered; `extra` goes into the create call (metadata, identity). */
async function answeredConversation(ws: ShopWorkspace, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call("POST", "/api/v1/conversations", {
    token: ws.token,
    body: { assistant_id: ws.assistant.id, visitor_id: `v-${crypto.randomUUID().slice(0, 8)}`, channel: "api", ...extra },
  });
  expect(res.status).toBe(201);
  const id = res.body.conversation_id as string;
  const answer = await call("POST", `/api/v1/conversations/${id}/messages`, { token: ws.token, body: { content: "How long does standard shipping take?" } });
  expect(answer.status).toBe(200);
  return id;
}

const settle = () => new Promise((r) => setTimeout(r, 1_500));

describe("HubSpot CRM", () => {
  it("logs a resolved conversation once on the contact with the visitor's email, after HubSpot answered 429", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => lines.push(args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" "));
    for (const level of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, level).mockImplementation(capture);
    try {
      const ws = await shopWorkspace("CrmResolve");
      const token = newToken();
      const ada = await seedContact(token, { email: "ada@example.com", firstname: "Ada", lastname: "Lovelace" });
      await seedContact(token, { email: "someone.else@example.com", firstname: "Other" });
      await connectHubSpot(ws, token, "429:1,ok");

      const id = await answeredConversation(ws, { metadata: { email: "Ada@Example.com", name: "Ada L" } });
      expect((await call("POST", `/api/v1/conversations/${id}/satisfaction`, { token: ws.token, body: { score: 4, comment: "Quick answer" } })).status).toBe(200);
      expect((await call("POST", `/api/v1/conversations/${id}/resolve`, { token: ws.token })).status).toBe(200);

      const after = await eventually(async () => {
        const p = await portal(token);
        expect(p.notes).toHaveLength(1);
        return p;
      }, 20_000);
      const noteCalls = after.requests.filter((r) => r.path === "/crm/v3/objects/notes");
      expect(noteCalls.map((r) => r.status)).toEqual([429, 201]);
      expect(after.requests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
      const [note] = after.notes;
      expect(note!.associations).toEqual([{ to: { id: ada.id }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 202 }] }]);
      expect(note!.properties.hs_note_body).toContain("Support conversation resolved");
      expect(note!.properties.hs_note_body).toContain("Question: How long does standard shipping take?");
      expect(note!.properties.hs_note_body).toContain("CSAT: 4/5");
      expect(note!.properties.hs_note_body).toContain(`href="http://localhost:8788/conversations/${id}"`);
      expect(Date.parse(note!.properties.hs_timestamp)).not.toBeNaN();
      expect(after.contacts).toHaveLength(2); // matched, not created

      const contact = await call("GET", `/api/v1/conversations/${id}/crm-contact`, { token: ws.token });
      expect(contact.status).toBe(200);
      expect(contact.body.contact).toMatchObject({
        provider: "hubspot",
        contact_id: ada.id,
        email: "ada@example.com",
        name: "Ada Lovelace",
        url: `https://app.hubspot.com/contacts/${after.portalId}/record/0-1/${ada.id}`,
        created: false,
      });

      // Resolving again changes nothing; redelivery of the same resolution writes no second note.
      expect((await call("POST", `/api/v1/conversations/${id}/resolve`, { token: ws.token })).status).toBe(200);
      await settle();
      expect((await portal(token)).notes).toHaveLength(1);

      const integration = await call("GET", "/api/v1/integrations/hubspot", { token: ws.token });
      expect(integration.body).toMatchObject({ configured: true, secrets_set: ["access_token"] });
      expect(lines.some((l) => l.includes("resolution logged in the CRM"))).toBe(true);
      for (const text of [...lines, JSON.stringify(integration.body), JSON.stringify(contact.body)]) expect(text).not.toContain(token);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("creates a missing contact from the verified identity and logs the escalation, then the resolution, after a 500", async () => {
    const ws = await shopWorkspace("CrmEscalate");
    const token = newToken();
    await connectHubSpot(ws, token, "500,ok");
    const secret = (await call("POST", `/api/v1/assistants/${ws.assistant.id}/identity-secret`, { token: ws.token })).body.secret as string;
    const jwt = await sign({ sub: "cust-9", email: "grace@example.com", name: "Grace Hopper", exp: Math.floor(Date.now() / 1000) + 300 }, secret, "HS256");
    // The verified email wins over one the visitor typed.
    const id = await answeredConversation(ws, { identity: { token: jwt }, metadata: { email: "typed@example.com" } });

    const escalated = await call("POST", `/api/v1/conversations/${id}/escalate`, { token: ws.token, body: { reason: "user_request" } });
    expect(escalated.status).toBe(201);
    const first = await eventually(async () => {
      const p = await portal(token);
      expect(p.notes).toHaveLength(1);
      return p;
    }, 20_000);
    expect(first.contacts).toHaveLength(1);
    expect(first.contacts[0]!.properties).toMatchObject({ email: "grace@example.com", firstname: "Grace", lastname: "Hopper" });
    expect(first.requests.filter((r) => r.path === "/crm/v3/objects/notes").map((r) => r.status)).toEqual([500, 201]);
    expect(first.requests.filter((r) => r.path === "/crm/v3/objects/contacts")).toHaveLength(1);
    expect(first.notes[0]!.properties.hs_note_body).toContain("escalated to the team");
    expect(first.notes[0]!.properties.hs_note_body).toContain("Reason: the customer asked for a person");
    expect(first.notes[0]!.associations[0]!.to.id).toBe(first.contacts[0]!.id);

    expect((await call("POST", `/api/v1/conversations/${id}/resolve`, { token: ws.token })).status).toBe(200);
    const second = await eventually(async () => {
      const p = await portal(token);
      expect(p.notes).toHaveLength(2);
      return p;
    }, 20_000);
    expect(second.notes[1]!.properties.hs_note_body).toContain("Support conversation resolved");
    expect(second.notes[1]!.associations[0]!.to.id).toBe(first.contacts[0]!.id);
    expect(second.contacts).toHaveLength(1);
    const contact = await call("GET", `/api/v1/conversations/${id}/crm-contact`, { token: ws.token });
    expect(contact.body.contact).toMatchObject({ email: "grace@example.com", name: "Grace Hopper", created: true });
  });

  it("keeps each workspace's conversations in its own HubSpot account", async () => {
    const [a, b, none] = await Promise.all([shopWorkspace("CrmA"), shopWorkspace("CrmB"), shopWorkspace("CrmNone")]);
    const [tokenA, tokenB] = [newToken(), newToken()];
    await connectHubSpot(a, tokenA);
    await connectHubSpot(b, tokenB);
    const email = { metadata: { email: "shared@example.com" } };
    const [convA, convB, convNone] = await Promise.all([answeredConversation(a, email), answeredConversation(b, email), answeredConversation(none, email)]);
    await call("POST", `/api/v1/conversations/${convA}/resolve`, { token: a.token });
    await call("POST", `/api/v1/conversations/${convNone}/resolve`, { token: none.token });

    const pa = await eventually(async () => {
      const p = await portal(tokenA);
      expect(p.notes).toHaveLength(1);
      return p;
    }, 20_000);
    expect(pa.notes[0]!.properties.hs_note_body).toContain(`/conversations/${convA}`);
    await settle();
    const pb = await portal(tokenB);
    expect(pb.contacts).toHaveLength(0);
    expect(pb.notes).toHaveLength(0);

    // Another workspace cannot read the match, and an unconnected workspace has none.
    expect((await call("GET", `/api/v1/conversations/${convA}/crm-contact`, { token: b.token })).status).toBe(404);
    expect((await call("GET", `/api/v1/conversations/${convB}/crm-contact`, { token: b.token })).body).toEqual({ contact: null });
    expect((await call("GET", `/api/v1/conversations/${convNone}/crm-contact`, { token: none.token })).body).toEqual({ contact: null });
  });

  it("tests the connection and refuses a token of another account", async () => {
    const ws = await shopWorkspace("CrmTest");
    const token = newToken();
    await connectHubSpot(ws, token);
    const ok = await call("POST", "/api/v1/integrations/hubspot/test", { token: ws.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ type: "hubspot", ok: true });
    expect(ok.body.detail).toMatch(/^authenticated to HubSpot account \d+$/);

    await configure(ws.token, "hubspot", { config: { api_base_url: `${env.HUBSPOT_FAKE_URL}/ok`, portal_id: "1" } });
    const wrong = await call("POST", "/api/v1/integrations/hubspot/test", { token: ws.token });
    expect(wrong.body).toMatchObject({ ok: false });
    expect(wrong.body.detail).toContain("not 1");

    await configure(ws.token, "hubspot", { config: { api_base_url: `${env.HUBSPOT_FAKE_URL}/ok` }, secrets: { access_token: "not-a-token" } });
    const refused = await call("POST", "/api/v1/integrations/hubspot/test", { token: ws.token });
    expect(refused.body).toMatchObject({ ok: false, provider_status: 401 });
    expect(JSON.stringify(refused.body)).not.toContain("not-a-token");
    expect((await call("PUT", "/api/v1/integrations/hubspot", { token: ws.token, body: { config: { portal_id: "abc" } } })).status).toBe(400);
  });
});
