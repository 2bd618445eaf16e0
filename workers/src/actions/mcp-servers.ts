/**
 * Connecting an assistant to a remote MCP server: the server's URL is checked like any action
 * URL, its headers sealed, its tools listed through the official SDK, and each tool kept as an
 * action of `kind: 'mcp'` (parameters = the tool's input schema, mutating unless the tool says
 * it only reads). Connecting the same URL again, or refreshing, updates the tools: new ones
 * added, gone ones removed, changed ones updated, while the business's own settings on each
 * (enabled, triggers, response fields, requires_verified, answer template) are kept.
 */
import { and, asc, eq } from "drizzle-orm";
import type { McpServer } from "../../../schema/api";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { outboundPolicy } from "../lib/network-policy";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import { assertUrlTemplate } from "./action-rules";
import { DEFAULT_ACTION_TIMEOUT_MS, mergeHeaders, openHeaders, sealHeaders, toAction, type ActionEnv, type ActionRow } from "./action-store";
import { listMcpTools, type McpTool } from "./mcp-client";
import { parameterSchemaProblems } from "./parameters";

const { mcp_servers, actions } = schema;
type ServerRow = typeof mcp_servers.$inferSelect;

/** A tool name as an action name: the safe-identifier rule, or null when it cannot be one. */
function actionNameOf(tool: string): string | null {
  return /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(tool) ? tool : null;
}

function toServer(row: ServerRow, rows: ActionRow[]): McpServer {
  return {
    id: row.id,
    assistant_id: row.assistant_id,
    url: row.url,
    headers_set: [...row.headers_set].sort(),
    server_name: row.server_name,
    tool_count: row.tool_count,
    refreshed_at: row.refreshed_at,
    created_at: row.created_at,
    actions: rows.map(toAction),
  };
}

async function listTools(env: ActionEnv, row: ServerRow, headers: Record<string, string>, fetcher?: typeof fetch) {
  try {
    return await listMcpTools({ url: row.url, headers, timeoutMs: DEFAULT_ACTION_TIMEOUT_MS, policy: outboundPolicy(env), fetcher });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ApiError("upstream_error", `the MCP server could not be used: ${message.slice(0, 300)}`);
  }
}

/** Brings the server's actions in line with its tools; returns the actions after the sync. */
async function syncTools(db: Db, server: ServerRow, tools: McpTool[]): Promise<ActionRow[]> {
  const existing = await db.select().from(actions).where(and(eq(actions.mcp_server_id, server.id), eq(actions.workspace_id, server.workspace_id))).all();
  const others = await db.select({ name: actions.name, server: actions.mcp_server_id }).from(actions).where(eq(actions.assistant_id, server.assistant_id)).all();
  const taken = new Set(others.filter((o) => o.server !== server.id).map((o) => o.name));
  const now = nowIso();
  const kept = new Set<string>();
  for (const tool of tools) {
    const name = actionNameOf(tool.name);
    if (!name || taken.has(name)) continue; // an unusable or clashing name is left out, not renamed behind the model's back
    const parameters = tool.inputSchema.type === "object" && parameterSchemaProblems(tool.inputSchema).length === 0 ? tool.inputSchema : { type: "object", properties: {} };
    const fromServer = { description: tool.description.slice(0, 2_000), parameters, mutating: !tool.readOnly, url: server.url, updated_at: now };
    const current = existing.find((a) => a.name === name);
    if (current) {
      await db.update(actions).set(fromServer).where(eq(actions.id, current.id)).run();
    } else {
      await db
        .insert(actions)
        .values({
          id: newId("action"),
          workspace_id: server.workspace_id,
          assistant_id: server.assistant_id,
          mcp_server_id: server.id,
          name,
          kind: "mcp",
          method: "POST",
          headers_set: server.headers_set,
          created_at: now,
          ...fromServer,
        })
        .run();
    }
    kept.add(name);
  }
  for (const gone of existing.filter((a) => !kept.has(a.name))) await db.delete(actions).where(eq(actions.id, gone.id)).run();
  return db.select().from(actions).where(and(eq(actions.mcp_server_id, server.id), eq(actions.workspace_id, server.workspace_id))).all();
}

/**
 * Connects (or reconnects) an MCP server to an assistant and makes its tools actions. The URL
 * must be a public http(s) address; headers given replace those stored under the same names.
 */
export async function connectMcpServer(
  env: ActionEnv,
  db: Db,
  workspaceId: string,
  assistantId: string,
  input: { url: string; headers?: Record<string, string | null> | undefined },
  fetcher?: typeof fetch,
): Promise<{ server: McpServer; created: boolean }> {
  await getAssistant(db, workspaceId, assistantId);
  if (input.url.includes("{")) throw new ApiError("invalid_request", "url: an MCP server's URL takes no placeholders", { issues: [{ path: ["url"], code: "invalid_value", message: "no placeholders" }] });
  assertUrlTemplate(input.url, null, outboundPolicy(env));
  const found = await db.select().from(mcp_servers).where(and(eq(mcp_servers.assistant_id, assistantId), eq(mcp_servers.workspace_id, workspaceId), eq(mcp_servers.url, input.url))).get();
  const id = found?.id ?? newId("mcpServer");
  const headers = mergeHeaders(found ? await openHeaders(env, workspaceId, id, found) : {}, input.headers);
  const sealed = await sealHeaders(env, workspaceId, id, headers);
  const now = nowIso();
  const draft: ServerRow = {
    id,
    workspace_id: workspaceId,
    assistant_id: assistantId,
    url: input.url,
    headers_set: Object.keys(headers),
    headers_ciphertext: sealed?.ciphertext ?? null,
    headers_key_id: sealed?.keyId ?? null,
    server_name: found?.server_name ?? null,
    tool_count: found?.tool_count ?? 0,
    refreshed_at: now,
    created_at: found?.created_at ?? now,
    updated_at: now,
  };
  // Listed before anything is stored: a server that cannot be reached is not kept.
  const listed = await listTools(env, draft, headers, fetcher);
  draft.server_name = listed.serverName;
  draft.tool_count = listed.tools.length;
  if (found) await db.update(mcp_servers).set(draft).where(eq(mcp_servers.id, id)).run();
  else await db.insert(mcp_servers).values(draft).run();
  await db.update(actions).set({ headers_set: draft.headers_set }).where(eq(actions.mcp_server_id, id)).run();
  const rows = await syncTools(db, draft, listed.tools);
  return { server: toServer(draft, rows), created: !found };
}

/** Lists the server's tools again and updates its actions; 404 for another workspace's server. */
export async function refreshMcpServer(env: ActionEnv, db: Db, workspaceId: string, serverId: string, fetcher?: typeof fetch): Promise<McpServer> {
  const row = await db.select().from(mcp_servers).where(and(eq(mcp_servers.id, serverId), eq(mcp_servers.workspace_id, workspaceId))).get();
  if (!row) throw notFound("MCP server");
  assertUrlTemplate(row.url, null, outboundPolicy(env));
  const listed = await listTools(env, row, await openHeaders(env, workspaceId, row.id, row), fetcher);
  const now = nowIso();
  const updated = { ...row, server_name: listed.serverName, tool_count: listed.tools.length, refreshed_at: now, updated_at: now };
  await db.update(mcp_servers).set(updated).where(eq(mcp_servers.id, row.id)).run();
  return toServer(updated, await syncTools(db, updated, listed.tools));
}

/** Disconnects a server: the server and the actions its tools became are removed. */
export async function deleteMcpServer(db: Db, workspaceId: string, serverId: string): Promise<void> {
  const row = await db.select().from(mcp_servers).where(and(eq(mcp_servers.id, serverId), eq(mcp_servers.workspace_id, workspaceId))).get();
  if (!row) throw notFound("MCP server");
  await db.delete(actions).where(and(eq(actions.mcp_server_id, row.id), eq(actions.workspace_id, workspaceId))).run();
  await db.delete(mcp_servers).where(eq(mcp_servers.id, row.id)).run();
}

/** The assistant's connected servers, oldest first, each with the actions its tools became. */
export async function listMcpServers(db: Db, workspaceId: string, assistantId: string): Promise<McpServer[]> {
  await getAssistant(db, workspaceId, assistantId);
  const [servers, tools] = await Promise.all([
    db.select().from(mcp_servers).where(and(eq(mcp_servers.assistant_id, assistantId), eq(mcp_servers.workspace_id, workspaceId))).orderBy(asc(mcp_servers.created_at), asc(mcp_servers.id)).all(),
    db.select().from(actions).where(and(eq(actions.assistant_id, assistantId), eq(actions.workspace_id, workspaceId), eq(actions.kind, "mcp"))).orderBy(asc(actions.name)).all(),
  ]);
  return servers.map((s) => toServer(s, tools.filter((a) => a.mcp_server_id === s.id)));
}
