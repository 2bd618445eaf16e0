/**
 * Remote MCP servers through the official SDK's client over Streamable HTTP: list a server's
 * tools, call one. Every request the transport makes goes through the outbound policy (the
 * server's URL and each redirect hop) with a time limit; schemas are checked with the
 * Workers-friendly validator (no code generation), and the session is closed after each use.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { OutboundPolicy } from "../lib/network-policy";
import { safeFetch } from "../lib/safe-fetch";

/** How this client introduces itself to servers. */
const CLIENT_INFO = { name: "edgedesk", version: "0.1.0" };
/** Tools read from one server at most: each becomes an action the model is shown. */
export const MAX_MCP_TOOLS = 100;
/** Pages of `tools/list` followed at most. */
const MAX_LIST_PAGES = 10;

/** One tool of a server, as an action needs it. */
export interface McpTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** From the tool's annotations: true when it only reads. */
  readOnly: boolean;
}

/** What a tool call gave back. */
export type McpCallOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** Where a server is and how to reach it. */
export interface McpEndpoint {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  policy: OutboundPolicy;
  fetcher?: typeof fetch | undefined;
}

async function withClient<T>(endpoint: McpEndpoint, run: (client: Client) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(endpoint.timeoutMs);
  const guardedFetch = (input: string | URL, init?: RequestInit) =>
    safeFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline }, endpoint.policy, endpoint.fetcher);
  const transport = new StreamableHTTPClientTransport(new URL(endpoint.url), {
    fetch: guardedFetch,
    requestInit: { headers: endpoint.headers },
  });
  const client = new Client(CLIENT_INFO, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  try {
    await client.connect(transport, { timeout: endpoint.timeoutMs, signal: deadline });
    return await run(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The server's name and tools (at most `MAX_MCP_TOOLS`). Throws when the server cannot be used. */
export async function listMcpTools(endpoint: McpEndpoint): Promise<{ serverName: string | null; tools: McpTool[] }> {
  return withClient(endpoint, async (client) => {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES && tools.length < MAX_MCP_TOOLS; page++) {
      const listed = await client.listTools(cursor ? { cursor } : undefined, { timeout: endpoint.timeoutMs });
      for (const tool of listed.tools) {
        tools.push({
          name: tool.name,
          description: tool.description ?? tool.title ?? "",
          inputSchema: tool.inputSchema as Record<string, unknown>,
          readOnly: tool.annotations?.readOnlyHint === true,
        });
      }
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    return { serverName: client.getServerVersion()?.name ?? null, tools: tools.slice(0, MAX_MCP_TOOLS) };
  });
}

/** Text of a tool result's content blocks (images and resources named, not inlined). */
function contentText(content: unknown): string {
  if (!Array.isArray(content)) return "";
  return content
    .map((block: unknown) => {
      const b = block as { type?: string; text?: string; uri?: string };
      if (b.type === "text" && typeof b.text === "string") return b.text;
      if (b.type === "resource_link" && typeof b.uri === "string") return b.uri;
      return `[${b.type ?? "content"}]`;
    })
    .join("\n");
}

/**
 * Calls one tool. The result is the tool's structured content when it gives one, else its
 * text (parsed as JSON when it is JSON); a tool error or a transport failure is a failure.
 */
export async function callMcpTool(endpoint: McpEndpoint, name: string, args: Record<string, unknown>): Promise<McpCallOutcome> {
  try {
    return await withClient(endpoint, async (client) => {
      const res = await client.callTool({ name, arguments: args }, undefined, { timeout: endpoint.timeoutMs });
      const text = contentText(res.content);
      if (res.isError) return { ok: false, error: `the tool failed: ${text.slice(0, 300) || "no detail"}` };
      if (res.structuredContent !== undefined) return { ok: true, result: res.structuredContent };
      try {
        return { ok: true, result: JSON.parse(text) as unknown };
      } catch {
        return { ok: true, result: text };
      }
    });
  } catch (err) {
    return { ok: false, error: `the MCP server could not be used (${err instanceof Error ? err.message : String(err)})` };
  }
}
