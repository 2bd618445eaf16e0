/**
 * The Notion API as the knowledge sources use it, through the official `@notionhq/client`: the
 * workspace's integration token, its API base URL (a regional proxy, or a local server in
 * tests), every request through the outbound policy, and the client's own retries off so a 429
 * reaches the ingestion queue, which waits the `Retry-After` the API asked for.
 */
import {
  APIErrorCode,
  Client,
  isFullBlock,
  isFullDatabase,
  isFullPage,
  isHTTPResponseError,
  RequestTimeoutError,
  type BlockObjectResponse,
  type PageObjectResponse,
  type RichTextItemResponse,
} from "@notionhq/client";
import { integrationCredentials } from "../../auth/integration-secrets";
import { BlockedDestinationError, outboundPolicy } from "../../lib/network-policy";
import { safeFetch } from "../../lib/safe-fetch";
import type { Db } from "../../storage/db";

/** Items per list request: Notion's maximum. */
const PAGE_SIZE = 100;
/** Nesting followed below a page: deeper blocks are rare, and a bound keeps a hostile page finite. */
const MAX_BLOCK_DEPTH = 8;
/** Blocks read from one page; past it the page is cut, not the whole sync. */
const MAX_BLOCKS_PER_PAGE = 10_000;
/** Pages read from one database (a knowledge base, not a data warehouse). */
export const MAX_DATABASE_PAGES = 1_000;
/** Pages under one page source, its sub-pages at every level included (as many as a database). */
const MAX_TREE_PAGES = MAX_DATABASE_PAGES;
/** Pages the integration can see that one sync looks through to find a page's sub-pages (100 requests). */
const MAX_SEARCHED_PAGES = 10_000;
/** Time one Notion request may take before it is given up and retried through the queue. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Seconds waited after a 429 that names no `Retry-After`. */
const DEFAULT_RETRY_AFTER_S = 30;

/** Notion asked us to slow down: the ingestion queue retries the message after `retryAfterSeconds`. */
export class NotionRateLimitedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Notion rate limit reached; retrying in ${retryAfterSeconds} s`);
  }
}

/** A failure that retrying cannot fix (no token, a refused token, a blocked address). */
export class NotionConfigError extends Error {}

/** A page or database as a sync sees it. */
export interface NotionPageRef {
  id: string;
  title: string;
  url: string;
  lastEditedTime: string;
  /** In Notion's trash (or archived): it leaves the knowledge base. */
  trashed: boolean;
}

/** A block with its children read, in page order. */
export type NotionBlock = BlockObjectResponse & { children: NotionBlock[] };

/** Plain text of a rich text array, as a reader sees it. */
export function plainText(items: readonly RichTextItemResponse[] | undefined): string {
  return (items ?? []).map((item) => item.plain_text).join("");
}

/** The title of a page: its one `title` property. */
function pageTitle(page: PageObjectResponse): string {
  for (const property of Object.values(page.properties)) {
    if (property.type === "title") return plainText(property.title);
  }
  return "";
}

/** A Notion id without its hyphens, in lower case: Notion writes the same id both ways. */
function bareId(id: string): string {
  return id.replace(/-/g, "").toLowerCase();
}

function toRef(page: PageObjectResponse): NotionPageRef {
  return { id: page.id, title: pageTitle(page) || "Untitled", url: page.url, lastEditedTime: page.last_edited_time, trashed: page.in_trash || page.archived };
}

/** The retry delay a 429 asks for, in whole seconds. */
function retryAfterOf(headers: unknown): number {
  const raw = headers instanceof Headers ? headers.get("retry-after") : null;
  const seconds = raw === null ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_RETRY_AFTER_S;
}

/** Turns the client's errors into the three outcomes a sync acts on: not found, wait, give up. */
function translate(err: unknown): never {
  if (isHTTPResponseError(err)) {
    if (err.status === 429) throw new NotionRateLimitedError(retryAfterOf(err.headers));
    if (err.code === APIErrorCode.Unauthorized) throw new NotionConfigError("Notion refused the integration token; check it on the integrations page");
    if (err.code === APIErrorCode.RestrictedResource) throw new NotionConfigError("the Notion integration lacks the capability to read content");
  }
  if (err instanceof RequestTimeoutError) throw new Error("Notion did not answer in time");
  throw err;
}

/** Not found, or not shared with the integration: Notion answers both with 404 `object_not_found`. */
function isMissing(err: unknown): boolean {
  return isHTTPResponseError(err) && (err.status === 404 || err.code === APIErrorCode.ObjectNotFound);
}

/** A connected Notion workspace, read through its integration token. */
export class NotionReader {
  readonly #client: Client;

  constructor(token: string, options: { baseUrl?: string | undefined; policy: ReturnType<typeof outboundPolicy> }) {
    const guarded: typeof fetch = (input, init) => safeFetch(input instanceof Request ? input.url : input, init ?? {}, options.policy);
    this.#client = new Client({
      auth: token,
      baseUrl: options.baseUrl?.replace(/\/+$/, "") || undefined,
      fetch: guarded,
      retry: false,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  }

  /** The bot user the token belongs to (the cheapest authenticated call). */
  async me(): Promise<{ id: string; name: string | null }> {
    const user = await this.#client.users.me({}).catch(translate);
    return { id: user.id, name: "name" in user ? (user.name ?? null) : null };
  }

  /** A page, or null when it is gone or not shared with the integration. */
  async page(id: string): Promise<NotionPageRef | null> {
    try {
      const page = await this.#client.pages.retrieve({ page_id: id });
      return isFullPage(page) ? toRef(page) : null;
    } catch (err) {
      if (isMissing(err)) return null;
      return translate(err);
    }
  }

  /** A database's title, link and pages (every data source of it), or null when it is gone or not shared. */
  async database(id: string): Promise<{ title: string; url: string; trashed: boolean; pages: NotionPageRef[] } | null> {
    let database;
    try {
      database = await this.#client.databases.retrieve({ database_id: id });
    } catch (err) {
      if (isMissing(err)) return null;
      return translate(err);
    }
    if (!isFullDatabase(database)) return null;
    const pages: NotionPageRef[] = [];
    for (const source of database.data_sources) {
      let cursor: string | undefined;
      do {
        const list = await this.#client.dataSources
          .query({ data_source_id: source.id, page_size: PAGE_SIZE, start_cursor: cursor, result_type: "page" })
          .catch(translate);
        for (const item of list.results) if (item.object === "page" && isFullPage(item)) pages.push(toRef(item));
        cursor = list.has_more && list.next_cursor ? list.next_cursor : undefined;
      } while (cursor && pages.length < MAX_DATABASE_PAGES);
    }
    const title = plainText(database.title) || "Untitled database";
    return { title, url: database.url, trashed: database.in_trash || database.archived, pages: pages.slice(0, MAX_DATABASE_PAGES) };
  }

  /**
   * The sub-pages of page `rootId` at every level, parents before children (at most
   * `MAX_TREE_PAGES`), trashed ones left out with everything under them. Found by listing the
   * pages shared with the integration through search (100 a request) and following each one's
   * parent, rather than reading every page's blocks: a tree of hundreds of pages costs a few
   * requests, not one per page, against Notion's three a second. A sub-page inside a toggle or
   * a column (whose parent is a block) and the pages of an inline database are not followed;
   * Notion's search index can lag a newly created page by a few minutes, and the next sync
   * finds it.
   */
  async subPages(rootId: string): Promise<NotionPageRef[]> {
    const childrenOf = new Map<string, NotionPageRef[]>();
    let cursor: string | undefined;
    let searched = 0;
    do {
      const list = await this.#client
        .search({ filter: { property: "object", value: "page" }, page_size: PAGE_SIZE, start_cursor: cursor })
        .catch(translate);
      for (const item of list.results) {
        if (item.object !== "page" || !isFullPage(item) || item.parent.type !== "page_id") continue;
        const parent = bareId(item.parent.page_id);
        const siblings = childrenOf.get(parent);
        if (siblings) siblings.push(toRef(item));
        else childrenOf.set(parent, [toRef(item)]);
      }
      searched += list.results.length;
      cursor = list.has_more && list.next_cursor ? list.next_cursor : undefined;
    } while (cursor && searched < MAX_SEARCHED_PAGES);
    const found: NotionPageRef[] = [];
    const seen = new Set([bareId(rootId)]);
    const queue = [bareId(rootId)];
    while (queue.length > 0 && found.length < MAX_TREE_PAGES) {
      for (const child of childrenOf.get(queue.shift()!) ?? []) {
        const id = bareId(child.id);
        if (child.trashed || seen.has(id) || found.length >= MAX_TREE_PAGES) continue;
        seen.add(id);
        found.push(child);
        queue.push(id);
      }
    }
    return found;
  }

  /** Every block of a page, children nested under their parents, following each list's cursor. */
  async blocks(pageId: string): Promise<NotionBlock[]> {
    let read = 0;
    const children = async (blockId: string, depth: number): Promise<NotionBlock[]> => {
      const out: NotionBlock[] = [];
      let cursor: string | undefined;
      do {
        const list = await this.#client.blocks.children.list({ block_id: blockId, page_size: PAGE_SIZE, start_cursor: cursor }).catch(translate);
        for (const block of list.results) {
          if (!isFullBlock(block) || read >= MAX_BLOCKS_PER_PAGE) continue;
          read += 1;
          // A child page or database is a page of its own, not part of this one.
          const nested = block.has_children && depth < MAX_BLOCK_DEPTH && block.type !== "child_page" && block.type !== "child_database";
          out.push({ ...block, children: nested ? await children(block.id, depth + 1) : [] });
        }
        cursor = list.has_more && list.next_cursor && read < MAX_BLOCKS_PER_PAGE ? list.next_cursor : undefined;
      } while (cursor);
      return out;
    };
    return children(pageId, 0);
  }
}

/** A reader for the workspace's Notion integration; `NotionConfigError` when it is not connected. */
export async function notionReaderFor(env: Env, db: Db, workspaceId: string): Promise<NotionReader> {
  const credentials = await integrationCredentials(env, db, workspaceId, "notion");
  const token = credentials?.secrets.token;
  if (!token) throw new NotionConfigError("Notion is not connected: set the integration token on the integrations page");
  const baseUrl = credentials.config.api_base_url;
  return new NotionReader(token, { baseUrl: typeof baseUrl === "string" ? baseUrl : undefined, policy: outboundPolicy(env) });
}

/** The integrations page's "Test connection" for Notion: who the token is, or why it fails. */
export async function checkNotionConnection(env: Env, db: Db, workspaceId: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const me = await (await notionReaderFor(env, db, workspaceId)).me();
    return { ok: true, detail: `authenticated as the integration ${me.name ?? me.id}` };
  } catch (err) {
    if (err instanceof NotionConfigError) return { ok: false, detail: err.message };
    if (err instanceof NotionRateLimitedError) return { ok: false, detail: "Notion is rate limiting; try again later" };
    if (err instanceof BlockedDestinationError) return { ok: false, detail: "the API base URL is not a public internet address; change it in the integration settings" };
    if (isHTTPResponseError(err)) return { ok: false, detail: `Notion answered ${err.status}` };
    return { ok: false, detail: "Notion could not be reached" };
  }
}
