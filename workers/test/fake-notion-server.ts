import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { header, listenLocally, readBody, type RunningFake } from "./fake-http";

/**
 * A local stand-in for the Notion API (version 2025-09-03), speaking its wire format: Bearer
 * integration tokens, a required `Notion-Version` header, page, database and block objects with
 * their `rich_text` arrays, `object: "list"` answers paginated by `has_more`/`next_cursor`, and
 * Notion's error body (`{object: "error", status, code, message}`), 429 with `Retry-After`
 * included. The official `@notionhq/client` talks to it unmodified through `api_base_url`.
 *
 * Each integration token is a Notion workspace of its own, so tests never share content.
 * Test controls (not Notion's):
 *   PUT  /_test/workspaces/:token             JSON `{pages, databases?, max_page_size?}` sets its content
 *   POST /_test/workspaces/:token/rate-limit  JSON `{times, retry_after, path_contains?}`: the next `times`
 *                                             requests (whose path contains `path_contains`) answer 429
 *   GET  /_test/workspaces/:token/requests    every API request so far (method, path, status, time)
 * `POST /v1/search` lists every shared page not in the trash, in the order the test gave them.
 */

/** A block as a test writes it; the fake gives it Notion's full shape. */
export interface FakeBlock {
  type: string;
  text?: string;
  checked?: boolean;
  language?: string;
  /** Rows of cells, for `table`. */
  rows?: string[][];
  /** For `child_page`: the sub-page it stands for (a child page block's id is its page's id). */
  page_id?: string;
  children?: FakeBlock[];
}

/** A page as a test writes it. */
export interface FakePage {
  id: string;
  title: string;
  last_edited_time: string;
  in_trash?: boolean;
  /** False: not shared with the integration, so Notion answers 404. */
  shared?: boolean;
  /** The page it is a sub-page of (its `parent` is then `page_id`); a top-level page otherwise. */
  parent_id?: string;
  blocks: FakeBlock[];
}

/** A database as a test writes it: one data source holding `page_ids`. */
export interface FakeDatabase {
  id: string;
  title: string;
  data_source_id: string;
  page_ids: string[];
}

interface Workspace {
  pages: FakePage[];
  databases: FakeDatabase[];
  maxPageSize: number;
  rateLimits: { times: number; retryAfter: number; pathContains: string }[];
  requests: { method: string; path: string; status: number; at: number }[];
  /** Block objects by parent id, built from the pages' specs. */
  children: Map<string, Record<string, unknown>[]>;
}

type Json = Record<string, unknown>;

const NOTION_MAX_PAGE_SIZE = 100;
const bare = (id: string) => id.replace(/-/g, "").toLowerCase();

function richText(content: string): Json[] {
  if (content === "") return [];
  return [
    {
      type: "text",
      text: { content, link: null },
      annotations: { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: "default" },
      plain_text: content,
      href: null,
    },
  ];
}

function pageUrl(page: FakePage): string {
  return `https://www.notion.so/${page.title.replace(/[^A-Za-z0-9]+/g, "-")}-${bare(page.id)}`;
}

function blockObject(spec: FakeBlock, parentId: string, edited: string, children: Map<string, Json[]>): Json {
  const id = spec.page_id ?? randomUUID();
  let body: Json;
  let kids = spec.children ?? [];
  switch (spec.type) {
    case "code":
      body = { rich_text: richText(spec.text ?? ""), language: spec.language ?? "plain text", caption: [] };
      break;
    case "to_do":
      body = { rich_text: richText(spec.text ?? ""), checked: spec.checked ?? false, color: "default" };
      break;
    case "table":
      body = { table_width: spec.rows?.[0]?.length ?? 0, has_column_header: true, has_row_header: false };
      kids = [];
      children.set(
        bare(id),
        (spec.rows ?? []).map((cells) => ({ ...common(randomUUID(), id, edited, false), type: "table_row", table_row: { cells: cells.map(richText) } })),
      );
      break;
    case "divider":
      body = {};
      break;
    case "child_page":
      body = { title: spec.text ?? "" };
      break;
    default:
      body = { rich_text: richText(spec.text ?? ""), color: "default", ...(spec.type.startsWith("heading_") ? { is_toggleable: kids.length > 0 } : {}) };
  }
  if (kids.length > 0) children.set(bare(id), kids.map((k) => blockObject(k, id, edited, children)));
  return { ...common(id, parentId, edited, spec.type === "table" || kids.length > 0), type: spec.type, [spec.type]: body };
}

function common(id: string, parentId: string, edited: string, hasChildren: boolean): Json {
  return {
    object: "block",
    id,
    parent: { type: "block_id", block_id: parentId },
    created_time: edited,
    last_edited_time: edited,
    created_by: { object: "user", id: "0c1a9d2b-0000-4000-8000-000000000001" },
    last_edited_by: { object: "user", id: "0c1a9d2b-0000-4000-8000-000000000001" },
    has_children: hasChildren,
    archived: false,
    in_trash: false,
  };
}

function pageObject(ws: Workspace, page: FakePage): Json {
  const database = ws.databases.find((d) => d.page_ids.some((p) => bare(p) === bare(page.id)));
  return {
    object: "page",
    id: page.id,
    created_time: page.last_edited_time,
    last_edited_time: page.last_edited_time,
    created_by: { object: "user", id: "0c1a9d2b-0000-4000-8000-000000000001" },
    last_edited_by: { object: "user", id: "0c1a9d2b-0000-4000-8000-000000000001" },
    cover: null,
    icon: null,
    parent: database
      ? { type: "data_source_id", data_source_id: database.data_source_id, database_id: database.id }
      : page.parent_id
        ? { type: "page_id", page_id: page.parent_id }
        : { type: "workspace", workspace: true },
    archived: page.in_trash ?? false,
    in_trash: page.in_trash ?? false,
    is_locked: false,
    properties: { [database ? "Name" : "title"]: { id: "title", type: "title", title: richText(page.title) } },
    url: pageUrl(page),
    public_url: null,
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-request-id": randomUUID(), ...headers });
  res.end(JSON.stringify(body));
  return status;
}

function notionError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): number {
  return send(res, status, { object: "error", status, code, message, request_id: randomUUID() }, headers);
}

/** One page of a list, Notion's way: the cursor is the id of the next item. */
function listPage(items: Json[], url: URL, maxPageSize: number, extra: Json): Json {
  const asked = Number(url.searchParams.get("page_size") ?? extra.page_size ?? NOTION_MAX_PAGE_SIZE);
  const size = Math.max(1, Math.min(asked || NOTION_MAX_PAGE_SIZE, NOTION_MAX_PAGE_SIZE, maxPageSize));
  const cursor = url.searchParams.get("start_cursor") ?? (extra.start_cursor as string | undefined);
  const start = cursor ? Math.max(0, items.findIndex((i) => i.id === cursor)) : 0;
  const results = items.slice(start, start + size);
  const next = items[start + size];
  const { page_size: _p, start_cursor: _s, ...shape } = extra;
  return { object: "list", results, next_cursor: next ? (next.id as string) : null, has_more: next !== undefined, ...shape };
}

/** A list answer of pages (search, a data source's query), paginated by the body's cursor and size. */
function pageList(ws: Workspace, pages: FakePage[], url: URL, body: Json): Json {
  return listPage(
    pages.map((p) => pageObject(ws, p)),
    url,
    ws.maxPageSize,
    { type: "page_or_data_source", page_or_data_source: {}, page_size: body.page_size, start_cursor: body.start_cursor },
  );
}

function loadWorkspace(body: Json): Workspace {
  const pages = (body.pages as FakePage[] | undefined) ?? [];
  const children = new Map<string, Json[]>();
  for (const page of pages) {
    if (page.shared === false) continue;
    children.set(bare(page.id), page.blocks.map((b) => blockObject(b, page.id, page.last_edited_time, children)));
  }
  return {
    pages,
    databases: (body.databases as FakeDatabase[] | undefined) ?? [],
    maxPageSize: Number(body.max_page_size ?? NOTION_MAX_PAGE_SIZE),
    rateLimits: [],
    requests: [],
    children,
  };
}

function api(ws: Workspace, req: IncomingMessage, url: URL, body: Json, res: ServerResponse): number {
  const path = url.pathname;
  const visible = (id: string) => ws.pages.find((p) => bare(p.id) === bare(id) && p.shared !== false);
  let m: RegExpMatchArray | null;
  if (req.method === "GET" && path === "/v1/users/me") {
    return send(res, 200, { object: "user", id: "9a3b1c2d-0000-4000-8000-00000000b07", type: "bot", name: "EdgeDesk sync", avatar_url: null, bot: { owner: { type: "workspace", workspace: true }, workspace_name: "Acme" } });
  }
  if (req.method === "GET" && (m = path.match(/^\/v1\/pages\/([0-9a-f-]{32,36})$/i))) {
    const page = visible(m[1]!);
    if (!page) return notionError(res, 404, "object_not_found", `Could not find page with ID: ${m[1]}. Make sure the relevant pages and databases are shared with your integration.`);
    return send(res, 200, pageObject(ws, page));
  }
  if (req.method === "GET" && (m = path.match(/^\/v1\/blocks\/([0-9a-f-]{32,36})\/children$/i))) {
    const id = bare(m[1]!);
    const page = visible(id);
    const blocks = ws.children.get(id);
    if (!blocks || (ws.pages.some((p) => bare(p.id) === id) && !page)) return notionError(res, 404, "object_not_found", `Could not find block with ID: ${m[1]}.`);
    return send(res, 200, listPage(blocks, url, ws.maxPageSize, { type: "block", block: {} }));
  }
  if (req.method === "GET" && (m = path.match(/^\/v1\/databases\/([0-9a-f-]{32,36})$/i))) {
    const database = ws.databases.find((d) => bare(d.id) === bare(m![1]!));
    if (!database) return notionError(res, 404, "object_not_found", `Could not find database with ID: ${m[1]}.`);
    return send(res, 200, {
      object: "database",
      id: database.id,
      title: richText(database.title),
      description: [],
      parent: { type: "workspace", workspace: true },
      is_inline: false,
      in_trash: false,
      archived: false,
      is_locked: false,
      created_time: "2026-01-01T00:00:00.000Z",
      last_edited_time: "2026-01-01T00:00:00.000Z",
      data_sources: [{ id: database.data_source_id, name: database.title }],
      icon: null,
      cover: null,
      url: `https://www.notion.so/${bare(database.id)}`,
      public_url: null,
    });
  }
  if (req.method === "POST" && path === "/v1/search") {
    // Pages shared with the integration, not in the trash (search does not return those).
    const filter = body.filter as { property?: string; value?: string } | undefined;
    const pages = filter?.value === "data_source" ? [] : ws.pages.filter((p) => p.shared !== false && !p.in_trash);
    return send(res, 200, pageList(ws, pages, url, body));
  }
  if (req.method === "POST" && (m = path.match(/^\/v1\/data_sources\/([0-9a-f-]{32,36})\/query$/i))) {
    const database = ws.databases.find((d) => bare(d.data_source_id) === bare(m![1]!));
    if (!database) return notionError(res, 404, "object_not_found", `Could not find data source with ID: ${m[1]}.`);
    const pages = database.page_ids.map(visible).filter((p): p is FakePage => p !== undefined && !p.in_trash);
    return send(res, 200, pageList(ws, pages, url, body));
  }
  return notionError(res, 400, "invalid_request_url", "Invalid request URL.");
}

/** Starts the fake Notion API. */
export async function startFakeNotion(): Promise<RunningFake> {
  const workspaces = new Map<string, Workspace>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const raw = (await readBody(req)).toString("utf8");
    let body: Json = {};
    try {
      body = raw ? (JSON.parse(raw) as Json) : {};
    } catch {
      return notionError(res, 400, "invalid_json", "Error parsing JSON body.");
    }
    const control = url.pathname.match(/^\/_test\/workspaces\/([^/]+)(\/rate-limit|\/requests)?$/);
    if (control) {
      const token = decodeURIComponent(control[1]!);
      if (!control[2] && req.method === "PUT") {
        const previous = workspaces.get(token);
        const ws = loadWorkspace(body);
        if (previous) ws.requests = previous.requests;
        workspaces.set(token, ws);
        return send(res, 200, { ok: true });
      }
      const ws = workspaces.get(token);
      if (!ws) return send(res, 404, { error: "no such workspace" });
      if (control[2] === "/rate-limit") {
        ws.rateLimits.push({ times: Number(body.times ?? 1), retryAfter: Number(body.retry_after ?? 1), pathContains: String(body.path_contains ?? "") });
        return send(res, 200, { ok: true });
      }
      return send(res, 200, ws.requests);
    }
    const ws = workspaces.get((header(req, "authorization") ?? "").replace(/^Bearer /, ""));
    const record = (status: number) => ws?.requests.push({ method: req.method ?? "GET", path: url.pathname, status, at: Date.now() });
    if (!ws) return record(notionError(res, 401, "unauthorized", "API token is invalid."));
    if (!header(req, "notion-version")) return record(notionError(res, 400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined."));
    const limit = ws.rateLimits.find((l) => l.times > 0 && url.pathname.includes(l.pathContains));
    if (limit) {
      limit.times -= 1;
      return record(notionError(res, 429, "rate_limited", "You have been rate limited. Please try again in a few minutes.", { "retry-after": String(limit.retryAfter) }));
    }
    record(api(ws, req, url, body, res));
  });
  return listenLocally(server);
}
