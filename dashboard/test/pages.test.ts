import { describe, expect, it } from "vitest";
import * as analytics from "../app/routes/_app.analytics";
import * as apiKeys from "../app/routes/_app.api-keys";
import * as assistant from "../app/routes/_app.assistants.$id";
import * as assistants from "../app/routes/_app.assistants._index";
import * as auditLog from "../app/routes/_app.audit-log";
import * as conversation from "../app/routes/_app.conversations.$id";
import * as exportRoute from "../app/routes/_app.conversations.$id.export";
import * as tokenRoute from "../app/routes/_app.conversations.$id.token";
import * as inbox from "../app/routes/_app.conversations._index";
import * as integrations from "../app/routes/_app.integrations";
import * as documentPage from "../app/routes/_app.knowledge.$id";
import * as knowledge from "../app/routes/_app.knowledge._index";
import * as upload from "../app/routes/_app.knowledge.upload";
import * as overview from "../app/routes/_app.overview";
import * as settings from "../app/routes/_app.settings";
import * as team from "../app/routes/_app.team";
import { apiCall, memberBrowser, signedUpBrowser, uniqueEmail } from "./harness";

const ORIGIN = "https://shop.example.com";

/** A workspace with an assistant, its widget key, and a conversation with a question in it. */
async function workspaceWithConversation() {
  const s = await signedUpBrowser("Shop");
  const a = await apiCall("POST", "/assistants", { token: s.token, body: { name: "Helper", allowed_origins: [ORIGIN] } });
  const pk = await apiCall("POST", "/api-keys", { token: s.token, body: { name: "w", type: "publishable", assistant_id: a.body.id } });
  const conv = await apiCall("POST", "/conversations", {
    token: pk.body.key,
    headers: { Origin: ORIGIN },
    body: { assistant_id: a.body.id, visitor_id: "visitor-42", channel: "web" },
  });
  await apiCall("POST", `/conversations/${conv.body.conversation_id}/messages`, { token: conv.body.token, body: { content: "Where is my parcel #Z-77?" } });
  return { ...s, assistantId: a.body.id as string, conversationId: conv.body.conversation_id as string, visitorToken: conv.body.token as string };
}

/** Adds a `{title, content}` article through the API and waits until it is ready; its id. */
async function readyArticle(token: string, assistantId: string, title: string, content: string): Promise<string> {
  const created = await apiCall("POST", `/assistants/${assistantId}/documents`, { token, body: { title, content } });
  const id = created.body.id as string;
  await waitFor(() => apiCall("GET", `/documents/${id}`, { token }), (r) => r.body.status === "ready", 30_000);
  return id;
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("overview and analytics", () => {
  it("loads the period's totals and one bucket per chart point", async () => {
    const w = await workspaceWithConversation();
    const out = await waitFor(
      () => w.browser.load(overview.loader, "/overview?period=7d"),
      (o) => o.data.total.conversations >= 1,
    );
    expect(out.status).toBe(200);
    expect(out.data.total.conversations).toBe(1);
    expect(out.data.series).toHaveLength(7);
    expect(out.data.assistants).toEqual([{ id: w.assistantId, name: "Helper" }]);
    expect((await w.browser.load(overview.loader, "/overview?period=24h")).data.series).toHaveLength(6);
  });

  it("breaks numbers down per assistant and channel", async () => {
    const w = await workspaceWithConversation();
    const out = await waitFor(() => w.browser.load(analytics.loader, "/analytics?period=30d"), (o) => o.data.byAssistant[0]?.s.conversations >= 1);
    expect(out.data.byAssistant[0]).toMatchObject({ id: w.assistantId, name: "Helper" });
    expect(out.data.byChannel.map((c: { channel: string }) => c.channel)).toEqual(["web", "api", "slack", "whatsapp", "email"]);
    expect(out.data.byChannel[0].s.conversations).toBe(1);
  });
});

describe("conversations", () => {
  it("lists, filters and searches the inbox", async () => {
    const w = await workspaceWithConversation();
    const all = await w.browser.load(inbox.loader, "/conversations");
    expect(all.data.conversations.map((c: { id: string }) => c.id)).toEqual([w.conversationId]);
    const found = await waitFor(() => w.browser.load(inbox.loader, "/conversations?q=z-77"), (o) => o.data.conversations.length === 1);
    expect(found.data.conversations).toHaveLength(1);
    expect((await w.browser.load(inbox.loader, "/conversations?q=nothing-here")).data.conversations).toEqual([]);
    expect((await w.browser.load(inbox.loader, "/conversations?status=resolved")).data.conversations).toEqual([]);
    expect((await w.browser.load(inbox.loader, "/conversations?channel=web&from=2000-01-01")).data.conversations).toHaveLength(1);
    expect((await w.browser.load(inbox.loader, "/conversations?to=2000-01-01")).data.conversations).toEqual([]);
  });

  it("opens a conversation with its messages, sources and an agent socket on the public API URL", async () => {
    const w = await workspaceWithConversation();
    const out = await w.browser.load(conversation.loader, `/conversations/${w.conversationId}`, { id: w.conversationId });
    expect(out.status).toBe(200);
    expect(out.data.messages.map((m: { sender_type: string }) => m.sender_type)).toEqual(["visitor", "assistant"]);
    expect(out.data.socket.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/api/v1/conversations/${w.conversationId}/ws$`));
    expect(out.data.socket.token).toBeTruthy();
    expect(out.data.role).toBe("admin");
    const missing = await w.browser.load(conversation.loader, "/conversations/conv_AAAAAAAAAAAAAAAAAAAA", { id: "conv_AAAAAAAAAAAAAAAAAAAA" });
    expect(missing.status).toBe(404);
  });

  it("replies as an agent (taking over), hands back and resolves", async () => {
    const w = await workspaceWithConversation();
    const path = `/conversations/${w.conversationId}`;
    const params = { id: w.conversationId };
    const empty = await w.browser.submit(conversation.action, path, { intent: "reply", content: "  " }, { params });
    expect(empty.status).toBe(400);
    expect(empty.data.error.fields.content).toBeTruthy();
    const reply = await w.browser.submit(conversation.action, path, { intent: "reply", content: "Hi, a person here." }, { params });
    expect(reply.data).toMatchObject({ ok: true, intent: "reply", result: { sender_type: "human_agent", content: "Hi, a person here." } });
    let conv = await apiCall("GET", path, { token: w.token });
    expect(conv.body.human_takeover).toBe(true);
    expect((await w.browser.submit(conversation.action, path, { intent: "handback" }, { params })).data.ok).toBe(true);
    conv = await apiCall("GET", path, { token: w.token });
    expect(conv.body.human_takeover).toBe(false);
    expect((await w.browser.submit(conversation.action, path, { intent: "resolve" }, { params })).data.ok).toBe(true);
    conv = await apiCall("GET", path, { token: w.token });
    expect(conv.body.status).toBe("resolved");
  });

  it("resolves with the article that answers the question, which then keeps the visitor's wording", async () => {
    const w = await workspaceWithConversation();
    const article = await readyArticle(w.token, w.assistantId, "Tracking a parcel", "Every order gets a tracking link by email once it leaves the depot.");
    const path = `/conversations/${w.conversationId}`;
    const params = { id: w.conversationId };
    const page = await w.browser.load(conversation.loader, path, params);
    expect(page.data.articles).toEqual([{ id: article, title: "Tracking a parcel" }]);

    const resolved = await w.browser.submit(conversation.action, path, { intent: "resolve", document_id: article }, { params });
    expect(resolved.data).toMatchObject({ ok: true, intent: "resolve", message: "Marked as resolved. The article now also answers “Where is my parcel #Z-77?”." });
    expect((await apiCall("GET", path, { token: w.token })).body.status).toBe("resolved");
    const learned = await apiCall("GET", `/documents/${article}/phrasings`, { token: w.token });
    expect(learned.body.data).toEqual([expect.objectContaining({ text: "Where is my parcel #Z-77?", conversation_id: w.conversationId })]);

    const viewer = await memberBrowser(w.token, "viewer");
    expect((await viewer.browser.load(conversation.loader, path, params)).data.articles).toEqual([]);
    expect((await viewer.browser.submit(conversation.action, path, { intent: "resolve", document_id: article }, { params })).status).toBe(403);
  });

  it("exports the conversation as a JSON download and renews the agent token", async () => {
    const w = await workspaceWithConversation();
    const params = { id: w.conversationId };
    const out = await w.browser.load(exportRoute.loader, `/conversations/${w.conversationId}/export`, params);
    expect(out.status).toBe(200);
    expect(out.headers.get("content-disposition")).toBe(`attachment; filename="${w.conversationId}.json"`);
    expect(out.data.conversation.id).toBe(w.conversationId);
    expect(out.data.messages).toHaveLength(2);
    const token = await w.browser.submit(tokenRoute.action, `/conversations/${w.conversationId}/token`, {}, { params });
    expect(token.status).toBe(200);
    expect(token.data.url).toContain(`/conversations/${w.conversationId}/ws`);
  });

  it("lets a viewer read a conversation but refuses their replies", async () => {
    const w = await workspaceWithConversation();
    const viewer = await memberBrowser(w.token, "viewer");
    const params = { id: w.conversationId };
    const page = await viewer.browser.load(conversation.loader, `/conversations/${w.conversationId}`, params);
    expect(page.status).toBe(200);
    expect(page.data.role).toBe("viewer");
    for (const intent of ["reply", "handback", "resolve"]) {
      const out = await viewer.browser.submit(conversation.action, `/conversations/${w.conversationId}`, { intent, content: "x" }, { params });
      expect(out.status).toBe(403);
    }
    const msgs = await apiCall("GET", `/conversations/${w.conversationId}/messages`, { token: w.token });
    expect(msgs.body.data).toHaveLength(2);
  });
});

describe("knowledge base", () => {
  it("adds an article, uploads a file, shows their status, searches, re-indexes and deletes", async () => {
    const w = await workspaceWithConversation();
    const path = `/knowledge?assistant=${w.assistantId}`;
    const added = await w.browser.submit(knowledge.action, path, {
      intent: "add_text",
      assistant_id: w.assistantId,
      title: "Returns",
      content: "You can return any unused bike within 30 days for a full refund.",
    });
    expect(added.data).toMatchObject({ ok: true, intent: "add_text" });
    const file = new File(["# Battery\n\nCharge the battery to 80 percent for daily use."], "battery.md", { type: "text/markdown" });
    const uploaded = await w.browser.submit(upload.action, "/knowledge/upload", { assistant_id: w.assistantId, file });
    expect(uploaded.status).toBe(202);
    expect(uploaded.data).toMatchObject({ id: expect.stringMatching(/^doc_/), status: "queued" });

    const ready = await waitFor(
      () => w.browser.load(knowledge.loader, path),
      (o) => o.data.documents.length === 2 && o.data.documents.every((d: { status: string }) => d.status === "ready"),
      30_000,
    );
    expect(ready.data.documents.map((d: { status: string }) => d.status)).toEqual(["ready", "ready"]);

    const search = await w.browser.load(knowledge.loader, `${path}&q=${encodeURIComponent("how do I return a bike")}&mode=hybrid`);
    expect(search.data.hits[0]).toMatchObject({ title: "Returns" });
    expect(search.data.hits[0].score).toBeGreaterThan(0);

    const doc = ready.data.documents[0].id;
    expect((await w.browser.submit(knowledge.action, path, { intent: "reindex", document_id: doc })).data.ok).toBe(true);
    expect((await w.browser.submit(knowledge.action, path, { intent: "delete", document_id: doc })).data.ok).toBe(true);
    expect((await apiCall("GET", `/documents/${doc}`, { token: w.token })).status).toBe(404);

    const badFile = await w.browser.submit(upload.action, "/knowledge/upload", { assistant_id: w.assistantId, file: new File([new Uint8Array([0, 1, 2, 3])], "x.exe") });
    expect(badFile.status).toBeGreaterThanOrEqual(400);
    expect(badFile.data.error.message).toBeTruthy();
  });

  it("shows a document's learned phrasings, and lets managers add and remove them", async () => {
    const w = await workspaceWithConversation();
    const doc = await readyArticle(w.token, w.assistantId, "Tracking a parcel", "Every order gets a tracking link by email once it leaves the depot.");
    const path = `/knowledge/${doc}`;
    const params = { id: doc };
    const empty = await w.browser.load(documentPage.loader, path, params);
    expect(empty.status).toBe(200);
    expect(empty.data).toMatchObject({ document: { id: doc, title: "Tracking a parcel" }, phrasings: [], role: "admin" });

    const blank = await w.browser.submit(documentPage.action, path, { intent: "add_phrasing", text: "  " }, { params });
    expect(blank.status).toBe(400);
    expect(blank.data.error.fields.text).toBeTruthy();
    const tooLong = await w.browser.submit(documentPage.action, path, { intent: "add_phrasing", text: "x".repeat(501) }, { params });
    expect(tooLong.status).toBe(400);
    expect(tooLong.data.error.fields.text).toBeTruthy();
    const added = await w.browser.submit(documentPage.action, path, { intent: "add_phrasing", text: "where is my package" }, { params });
    expect(added.data).toMatchObject({ ok: true, intent: "add_phrasing", result: { text: "where is my package", document_id: doc } });
    const listed = await w.browser.load(documentPage.loader, path, params);
    expect(listed.data.phrasings).toEqual([expect.objectContaining({ id: added.data.result.id, text: "where is my package" })]);
    const search = await w.browser.load(knowledge.loader, `/knowledge?assistant=${w.assistantId}&q=${encodeURIComponent("where is my package")}&mode=keyword`);
    expect(search.data.hits[0]).toMatchObject({ title: "Tracking a parcel" });

    const viewer = await memberBrowser(w.token, "viewer");
    const readOnly = await viewer.browser.load(documentPage.loader, path, params);
    expect(readOnly.data).toMatchObject({ role: "viewer", phrasings: [expect.objectContaining({ text: "where is my package" })] });
    expect((await viewer.browser.submit(documentPage.action, path, { intent: "remove_phrasing", phrasing_id: added.data.result.id }, { params })).status).toBe(403);

    const removed = await w.browser.submit(documentPage.action, path, { intent: "remove_phrasing", phrasing_id: added.data.result.id }, { params });
    expect(removed.data).toMatchObject({ ok: true, intent: "remove_phrasing" });
    expect((await w.browser.load(documentPage.loader, path, params)).data.phrasings).toEqual([]);
    const missing = await w.browser.load(documentPage.loader, "/knowledge/doc_AAAAAAAAAAAAAAAAAAAA", { id: "doc_AAAAAAAAAAAAAAAAAAAA" });
    expect(missing.status).toBe(404);
  });

  it("adds Notion pages once Notion is connected, shows their sync state and removes them", async () => {
    const w = await workspaceWithConversation();
    const path = `/knowledge?assistant=${w.assistantId}`;
    expect((await w.browser.load(knowledge.loader, path)).data.notion).toEqual([]);
    const empty = await w.browser.submit(knowledge.action, path, { intent: "add_notion", assistant_id: w.assistantId, page_ids: "", database_id: "" });
    expect(empty.data).toMatchObject({ ok: false, intent: "add_notion", error: { fields: { page_ids: expect.any(String) } } });
    const link = "https://www.notion.so/acme/Returns-0f3c1d2e4b5a46c7a8e9f0a1b2c3d4e5";
    const early = await w.browser.submit(knowledge.action, path, { intent: "add_notion", assistant_id: w.assistantId, page_ids: link, database_id: "" });
    expect(early.data).toMatchObject({ ok: false, error: { message: expect.stringMatching(/connect Notion first/) } });

    expect((await apiCall("PUT", "/integrations/notion", { token: w.token, body: { secrets: { token: "ntn_dashboard_test" } } })).status).toBe(200);
    const added = await w.browser.submit(knowledge.action, path, { intent: "add_notion", assistant_id: w.assistantId, page_ids: link, database_id: "" });
    expect(added.data).toMatchObject({ ok: true, intent: "add_notion" });
    const listed = (await w.browser.load(knowledge.loader, path)).data.notion;
    expect(listed).toEqual([expect.objectContaining({ kind: "page", notion_id: "0f3c1d2e-4b5a-46c7-a8e9-f0a1b2c3d4e5" })]);
    const removed = await w.browser.submit(knowledge.action, path, { intent: "remove_notion", source_id: listed[0].id });
    expect(removed.data).toMatchObject({ ok: true, intent: "remove_notion" });
    expect((await w.browser.load(knowledge.loader, path)).data.notion).toEqual([]);
  });

  it("is read-only for viewers", async () => {
    const w = await workspaceWithConversation();
    const viewer = await memberBrowser(w.token, "viewer");
    const page = await viewer.browser.load(knowledge.loader, "/knowledge");
    expect(page.data.assistantId).toBe(w.assistantId);
    const out = await viewer.browser.submit(knowledge.action, "/knowledge", { intent: "add_text", assistant_id: w.assistantId, title: "x", content: "y" });
    expect(out.status).toBe(403);
    const file = new File(["hello"], "a.txt", { type: "text/plain" });
    expect((await viewer.browser.submit(upload.action, "/knowledge/upload", { assistant_id: w.assistantId, file })).status).toBe(403);
  });
});

describe("assistants", () => {
  it("creates an assistant, saves its setup with errors next to the fields, creates a widget key and deletes it", async () => {
    const s = await signedUpBrowser("Assist");
    const created = await s.browser.submit(assistants.action, "/assistants", { name: "Concierge" });
    expect(created.location).toMatch(/^\/assistants\/ast_/);
    const id = created.location!.split("/").pop()!;
    expect((await s.browser.load(assistants.loader, "/assistants")).data.assistants).toHaveLength(1);
    const page = await s.browser.load(assistant.loader, `/assistants/${id}`, { id });
    expect(page.data.assistant.name).toBe("Concierge");
    expect(page.data.apiBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const fields = {
      intent: "save",
      name: "Concierge",
      system_prompt: "Be brief.",
      tone: "professional",
      escalation_threshold: "0.5",
      allowed_origins: "https://shop.example.com\nnot a url",
      "branding.primary_color": "#123456",
      "branding.title": "Help",
      "model_policy.temperature": "0.2",
    };
    const bad = await s.browser.submit(assistant.action, `/assistants/${id}`, fields, { params: { id } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.fields["allowed_origins.1"]).toMatch(/origin/);
    const good = await s.browser.submit(assistant.action, `/assistants/${id}`, { ...fields, allowed_origins: "https://shop.example.com" }, { params: { id } });
    expect(good.data.ok).toBe(true);
    expect(good.data.result).toMatchObject({
      tone: "professional",
      escalation_threshold: 0.5,
      allowed_origins: ["https://shop.example.com"],
      branding: { primary_color: "#123456", title: "Help" },
      model_policy: { temperature: 0.2 },
    });
    const key = await s.browser.submit(assistant.action, `/assistants/${id}`, { intent: "create_key" }, { params: { id } });
    expect(key.data.result.key).toMatch(/^pk_live_/);
    const deleted = await s.browser.submit(assistant.action, `/assistants/${id}`, { intent: "delete" }, { params: { id } });
    expect(deleted.location).toBe("/assistants");
  });

  it("refuses changes from managers", async () => {
    const s = await signedUpBrowser("Assist");
    const a = await apiCall("POST", "/assistants", { token: s.token, body: { name: "A" } });
    const manager = await memberBrowser(s.token, "manager");
    expect((await manager.browser.submit(assistants.action, "/assistants", { name: "Nope" })).status).toBe(403);
    const out = await manager.browser.submit(assistant.action, `/assistants/${a.body.id}`, { intent: "save", name: "Pwned" }, { params: { id: a.body.id } });
    expect(out.status).toBe(403);
    expect((await apiCall("GET", `/assistants/${a.body.id}`, { token: s.token })).body.name).toBe("A");
  });
});

describe("API keys", () => {
  it("creates a key shown once, rotates and revokes it", async () => {
    const s = await signedUpBrowser("Keys");
    const created = await s.browser.submit(apiKeys.action, "/api-keys", { intent: "create", type: "secret", name: "CI", scope: "viewer", expires_in_days: "30" });
    expect(created.data.result.key).toMatch(/^sk_live_/);
    const list = await s.browser.load(apiKeys.loader, "/api-keys");
    expect(list.data.keys[0]).toMatchObject({ name: "CI", scope: "viewer" });
    expect(JSON.stringify(list.data)).not.toContain(created.data.result.key);
    const rotated = await s.browser.submit(apiKeys.action, "/api-keys", { intent: "rotate", key_id: created.data.result.id });
    expect(rotated.data.result.key).not.toBe(created.data.result.key);
    expect((await s.browser.submit(apiKeys.action, "/api-keys", { intent: "revoke", key_id: created.data.result.id })).data.ok).toBe(true);
    const invalid = await s.browser.submit(apiKeys.action, "/api-keys", { intent: "create", type: "secret", name: "", scope: "viewer" });
    expect(invalid.status).toBe(400);
    expect(invalid.data.error.fields.name).toBeTruthy();
  });

  it("is closed to managers, in the loader and the action", async () => {
    const s = await signedUpBrowser("Keys");
    const manager = await memberBrowser(s.token, "manager");
    expect((await manager.browser.load(apiKeys.loader, "/api-keys")).status).toBe(403);
    expect((await manager.browser.submit(apiKeys.action, "/api-keys", { intent: "create", type: "secret", name: "x", scope: "admin" })).status).toBe(403);
  });
});

describe("team", () => {
  it("invites with a link to this dashboard, changes roles and removes members", async () => {
    const s = await signedUpBrowser("Team");
    const invited = await s.browser.submit(team.action, "/team", { intent: "invite", email: uniqueEmail("inv"), role: "viewer" });
    expect(invited.data.result.url).toMatch(/^http:\/\/localhost:8788\/invite\/ivt_/);
    const page = await s.browser.load(team.loader, "/team");
    expect(page.data.invites).toHaveLength(1);
    expect(page.data.admin).toBe(true);

    const member = await memberBrowser(s.token, "viewer");
    expect((await s.browser.submit(team.action, "/team", { intent: "role", user_id: member.userId, role: "manager" })).data.ok).toBe(true);
    const last = await s.browser.submit(team.action, "/team", { intent: "role", user_id: page.data.me.id, role: "viewer" });
    expect(last.status).toBe(409);
    expect(last.data.error.message).toMatch(/at least one admin/);
    expect((await s.browser.submit(team.action, "/team", { intent: "remove", user_id: member.userId })).data.ok).toBe(true);
    expect((await s.browser.submit(team.action, "/team", { intent: "revoke_invite", invite_id: page.data.invites[0].id })).data.ok).toBe(true);
  });

  it("shows viewers the team but no invitations, and refuses their changes", async () => {
    const s = await signedUpBrowser("Team");
    const viewer = await memberBrowser(s.token, "viewer");
    const page = await viewer.browser.load(team.loader, "/team");
    expect(page.data.admin).toBe(false);
    expect(page.data.invites).toEqual([]);
    expect(page.data.members).toHaveLength(2);
    expect((await viewer.browser.submit(team.action, "/team", { intent: "invite", email: uniqueEmail("x"), role: "admin" })).status).toBe(403);
    expect((await viewer.browser.submit(team.action, "/team", { intent: "role", user_id: viewer.userId, role: "admin" })).status).toBe(403);
  });
});

describe("integrations, settings and audit log", () => {
  it("saves integration settings with write-only secrets", async () => {
    const s = await signedUpBrowser("Integrate");
    const page = await s.browser.load(integrations.loader, "/integrations");
    expect(page.data.integrations.map((i: { type: string }) => i.type)).toEqual(["slack", "whatsapp", "email", "zendesk", "hubspot", "stripe", "notion"]);
    const saved = await s.browser.submit(integrations.action, "/integrations", {
      type: "zendesk",
      enabled: "on",
      "config.subdomain": "acme",
      "config.agent_email": "agent@acme.test",
      "secrets.api_token": "zd-secret-token",
    });
    expect(saved.data.result).toMatchObject({ type: "zendesk", enabled: true, config: { subdomain: "acme" }, secrets_set: ["api_token"] });
    expect(JSON.stringify(saved.data)).not.toContain("zd-secret-token");
    // A blank secret keeps the stored one; "clear" removes it.
    const kept = await s.browser.submit(integrations.action, "/integrations", { type: "zendesk", "config.subdomain": "acme" });
    expect(kept.data.result.secrets_set).toEqual(["api_token"]);
    expect(kept.data.result.enabled).toBe(false);
    const cleared = await s.browser.submit(integrations.action, "/integrations", { type: "zendesk", "clear.api_token": "on" });
    expect(cleared.data.result.secrets_set).toEqual([]);
    const bad = await s.browser.submit(integrations.action, "/integrations", { type: "email", "config.from_address": "not-an-email" });
    expect(bad.status).toBe(400);
    expect(bad.data.error.fields["config.from_address"]).toBeTruthy();
  });

  it("keeps integrations and the audit log from managers", async () => {
    const s = await signedUpBrowser("Integrate");
    const manager = await memberBrowser(s.token, "manager");
    expect((await manager.browser.load(integrations.loader, "/integrations")).status).toBe(403);
    expect((await manager.browser.submit(integrations.action, "/integrations", { type: "slack", "secrets.bot_token": "x" })).status).toBe(403);
    expect((await manager.browser.load(auditLog.loader, "/audit-log")).status).toBe(403);
  });

  it("changes workspace settings, lists the audit log, and closes the workspace only with its name", async () => {
    const s = await signedUpBrowser("Settled");
    const page = await s.browser.load(settings.loader, "/settings");
    expect(page.data.workspace).toMatchObject({ name: "Settled", retention_days: null });
    const saved = await s.browser.submit(settings.action, "/settings", { intent: "save", name: "Settled Inc", retention_days: "30" });
    expect(saved.data.result).toMatchObject({ name: "Settled Inc", retention_days: 30 });
    const forever = await s.browser.submit(settings.action, "/settings", { intent: "save", name: "Settled Inc", retention_days: "30", keep_forever: "on" });
    expect(forever.data.result.retention_days).toBeNull();
    const bad = await s.browser.submit(settings.action, "/settings", { intent: "save", name: "Settled Inc", retention_days: "0" });
    expect(bad.data.error.fields.retention_days).toBeTruthy();

    const audit = await s.browser.load(auditLog.loader, "/audit-log");
    expect(audit.data.entries.map((e: { action: string }) => e.action)).toContain("workspace.updated");

    const wrong = await s.browser.submit(settings.action, "/settings", { intent: "close", confirm_name: "nope" });
    expect(wrong.data.error.fields.confirm_name).toBeTruthy();
    const closed = await s.browser.submit(settings.action, "/settings", { intent: "close", confirm_name: "Settled Inc" });
    expect(closed.location).toBe("/signup");
    expect((await apiCall("POST", "/auth/login", { body: { email: s.email, password: "correct horse battery staple" } })).status).toBe(401);
  });

  it("refuses settings changes from viewers", async () => {
    const s = await signedUpBrowser("Settled");
    const viewer = await memberBrowser(s.token, "viewer");
    expect((await viewer.browser.load(settings.loader, "/settings")).data.role).toBe("viewer");
    expect((await viewer.browser.submit(settings.action, "/settings", { intent: "save", name: "x" })).status).toBe(403);
    expect((await viewer.browser.submit(settings.action, "/settings", { intent: "close", confirm_name: "Settled" })).status).toBe(403);
  });
});
