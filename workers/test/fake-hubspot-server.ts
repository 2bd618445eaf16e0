import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { header, listenLocally, nextStep, readBody, type RunningFake } from "./fake-http";

/**
 * A local stand-in for HubSpot's CRM v3 API, speaking its wire format: private-app Bearer
 * tokens, contacts search with `filterGroups`, contact creation (409 with "Existing ID" for a
 * taken email), notes with associations (type 202 note → contact, checked), account details,
 * and HubSpot's error bodies (`{status:"error", message, correlationId, category}`).
 *
 * Each token is an account of its own (its own contacts and notes), so two workspaces with two
 * tokens never see each other's records. A token looks like `pat-na1-<uuid>`; anything else is
 * a 401. Base URLs carry a script for note creation: `<url>/<steps>`, e.g. `<url>/429:1,ok`
 * (the first note call answers 429 with `Retry-After: 1`, later ones succeed) or `<url>/500,ok`;
 * `ok` scripts nothing. Other calls always succeed.
 *
 * Test side:
 *   GET  /_portal/<token>           → {portalId, contacts, notes, requests}
 *   POST /_portal/<token>/contacts  {email, firstname?, lastname?} → the contact (seeding)
 */

/** A running fake. */
export type FakeHubSpotServer = RunningFake;

interface Contact {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: false;
}

interface Note {
  id: string;
  properties: Record<string, string>;
  associations: unknown;
  createdAt: string;
}

interface Portal {
  portalId: number;
  contacts: Contact[];
  notes: Note[];
  requests: { method: string; path: string; status: number; authorization: string | undefined }[];
}

const TOKEN_PATTERN = /^pat-(na1|eu1)-[0-9a-f-]{36}$/;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json;charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

function hubspotError(status: number, message: string, category: string): Record<string, unknown> {
  return { status: "error", message, correlationId: randomUUID(), category };
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeHubSpot(): Promise<FakeHubSpotServer> {
  const portals = new Map<string, Portal>();
  const counters = new Map<string, number>();
  const ids = { portal: 24_000_000, object: 51_000 };

  const portalOf = (token: string): Portal => {
    let portal = portals.get(token);
    if (!portal) {
      portal = { portalId: ids.portal++, contacts: [], notes: [], requests: [] };
      portals.set(token, portal);
    }
    return portal;
  };

  const newContact = (portal: Portal, properties: Record<string, string>): Contact => {
    const now = new Date().toISOString();
    const id = String(ids.object++);
    const contact: Contact = { id, properties: { ...properties, email: properties.email?.toLowerCase() ?? "", hs_object_id: id, createdate: now, lastmodifieddate: now }, createdAt: now, updatedAt: now, archived: false };
    portal.contacts.push(contact);
    return contact;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, hubspotError(500, String(err), "INTERNAL_ERROR"));
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const parts = url.pathname.split("/").filter(Boolean);
    const text = (await readBody(req)).toString("utf8");
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;

    if (parts[0] === "_portal" && parts[1]) {
      const portal = portalOf(decodeURIComponent(parts[1]));
      if (req.method === "POST" && parts[2] === "contacts") send(res, 201, newContact(portal, body as Record<string, string>));
      else send(res, 200, portal);
      return;
    }

    const [steps = "ok", ...rest] = parts;
    const path = `/${rest.join("/")}`;
    const authorization = header(req, "authorization");
    const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
    if (!token || !TOKEN_PATTERN.test(token)) {
      send(res, 401, hubspotError(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview", "INVALID_AUTHENTICATION"));
      return;
    }
    const portal = portalOf(token);
    const record = { method: req.method ?? "GET", path, status: 0, authorization };
    portal.requests.push(record);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      send(res, status, payload, headers);
    };

    if (req.method === "GET" && path === "/account-info/v3/details") {
      reply(200, {
        portalId: portal.portalId,
        accountType: "STANDARD",
        timeZone: "US/Eastern",
        companyCurrency: "USD",
        additionalCurrencies: [],
        utcOffset: "-05:00",
        utcOffsetMilliseconds: -18_000_000,
        uiDomain: "app.hubspot.com",
        dataHostingLocation: "na1",
      });
      return;
    }

    if (req.method === "POST" && path === "/crm/v3/objects/contacts/search") {
      const filters = (body.filterGroups as { filters?: { propertyName?: string; operator?: string; value?: string }[] }[] | undefined) ?? [];
      const wanted = (body.properties as string[] | undefined) ?? ["email", "firstname", "lastname"];
      const matches = portal.contacts.filter((c) =>
        filters.some((g) => (g.filters ?? []).every((f) => f.operator === "EQ" && (c.properties[f.propertyName ?? ""] ?? "").toLowerCase() === String(f.value ?? "").toLowerCase())),
      );
      const limit = Number(body.limit ?? 10);
      const results = matches.slice(0, limit).map((c) => ({
        ...c,
        properties: Object.fromEntries(["hs_object_id", "createdate", "lastmodifieddate", ...wanted].map((k) => [k, c.properties[k] ?? null])),
      }));
      reply(200, { total: matches.length, results, ...(matches.length > limit ? { paging: { next: { after: String(limit) } } } : {}) });
      return;
    }

    if (req.method === "POST" && path === "/crm/v3/objects/contacts") {
      const properties = (body.properties ?? {}) as Record<string, string>;
      const email = properties.email?.toLowerCase();
      const existing = email ? portal.contacts.find((c) => c.properties.email === email) : undefined;
      if (existing) {
        reply(409, hubspotError(409, `Contact already exists. Existing ID: ${existing.id}`, "CONFLICT"));
        return;
      }
      reply(201, newContact(portal, properties));
      return;
    }

    if (req.method === "POST" && path === "/crm/v3/objects/notes") {
      const step = nextStep(counters, `${token}/notes/${steps}`, steps);
      const [name, retryAfter] = step.split(":");
      if (name === "429") {
        reply(429, { status: "error", message: "You have reached your secondly limit.", errorType: "RATE_LIMIT", correlationId: randomUUID(), policyName: "SECONDLY" }, retryAfter ? { "retry-after": retryAfter } : {});
        return;
      }
      if (name === "500") {
        reply(500, hubspotError(500, "internal error", "INTERNAL_ERROR"));
        return;
      }
      const properties = (body.properties ?? {}) as Record<string, string>;
      if (!properties.hs_timestamp) {
        reply(400, hubspotError(400, "Property values were not valid: hs_timestamp is required", "VALIDATION_ERROR"));
        return;
      }
      const associations = (body.associations ?? []) as { to?: { id?: string }; types?: { associationCategory?: string; associationTypeId?: number }[] }[];
      for (const a of associations) {
        const known = portal.contacts.some((c) => c.id === a.to?.id);
        const typed = a.types?.every((t) => t.associationCategory === "HUBSPOT_DEFINED" && t.associationTypeId === 202);
        if (!known || !typed) {
          reply(400, hubspotError(400, `Invalid association to ${a.to?.id ?? "?"}`, "VALIDATION_ERROR"));
          return;
        }
      }
      const now = new Date().toISOString();
      const note: Note = { id: String(ids.object++), properties, associations, createdAt: now };
      portal.notes.push(note);
      reply(201, { id: note.id, properties: { ...properties, hs_object_id: note.id, hs_createdate: now }, createdAt: now, updatedAt: now, archived: false });
      return;
    }

    reply(404, hubspotError(404, `no route ${req.method} ${path}`, "OBJECT_NOT_FOUND"));
  }

  return listenLocally(server);
}
