import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { header, listenLocally, readBody, type RunningFake } from "./fake-http";

/**
 * A business's own services, as actions call them: a small order API over HTTP and a remote
 * MCP server built with the official SDK (`McpServer` + `StreamableHTTPServerTransport`,
 * stateless). Paths carry a test's own key, so files running at once never share counters.
 *
 * HTTP:
 *   GET  /orders/:number                     `{number, status, carrier, eta, internal}` for 1042, else 404
 *   GET  /customers/:customer/orders/:number the order when it belongs to `cust-1`, else 404
 *   ANY  /echo/:key/...                      `{method, path, query, body, api_key}`: what arrived, secret header included
 *   GET  /slow/:key                          never answers (until the caller gives up)
 *   GET  /hold/:key/:number                  the order (as `/orders/:number`), held until `POST /__release/:key`
 *   ANY  /fail/:key                          HTTP 500
 *   GET  /big/:key                           a 300 KB JSON answer
 *   GET  /redirect-private/:key              302 to the cloud metadata address
 *   GET  /__hits/:key                        `{hits}`: requests under that key so far
 * MCP (`POST /mcp/:scenario`): tools `get_order_status` (read-only) and `cancel_order`; after
 *   `POST /__mcp/:scenario/add-tool` also `track_parcel`. Requests need `authorization: Bearer mcp-secret`.
 */

const ORDERS: Record<string, { status: string; carrier: string; eta: string; owner: string }> = {
  "1042": { status: "shipped", carrier: "DHL", eta: "2026-12-09", owner: "cust-1" },
  "1043": { status: "processing", carrier: "UPS", eta: "2026-12-12", owner: "cust-2" },
};

/** The MCP server's bearer token (a test fixture, not a secret of anything real). */
export const MCP_TEST_TOKEN = "mcp-secret";

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...extra });
  res.end(JSON.stringify(body));
}

function buildMcp(withParcel: boolean): McpServer {
  const server = new McpServer({ name: "acme-orders", version: "1.0.0" });
  server.registerTool(
    "get_order_status",
    {
      description: "Status, carrier and delivery date of an order",
      inputSchema: { order_number: z.string().describe("the order number") },
      annotations: { readOnlyHint: true },
    },
    async ({ order_number }) => {
      const order = ORDERS[order_number];
      if (!order) return { isError: true, content: [{ type: "text", text: `no order ${order_number}` }] };
      return { content: [{ type: "text", text: JSON.stringify({ number: order_number, status: order.status, carrier: order.carrier }) }] };
    },
  );
  server.registerTool(
    "cancel_order",
    { description: "Cancel an order that has not shipped", inputSchema: { order_number: z.string() } },
    async ({ order_number }) => ({ content: [{ type: "text", text: `order ${order_number} cancelled` }] }),
  );
  if (withParcel) {
    server.registerTool(
      "track_parcel",
      { description: "Where a parcel is", inputSchema: { tracking_id: z.string() }, annotations: { readOnlyHint: true } },
      async ({ tracking_id }) => ({ content: [{ type: "text", text: `parcel ${tracking_id} is in the depot` }] }),
    );
  }
  return server;
}

/** Starts the fake business services on a free port of 127.0.0.1. */
export async function startFakeActionsServer(): Promise<RunningFake> {
  const hits = new Map<string, number>();
  const withParcel = new Set<string>();
  const held = new Map<string, (() => void)[]>();
  const count = (key: string) => hits.set(key, (hits.get(key) ?? 0) + 1);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      const [first, key] = parts;
      const raw = await readBody(req);

      if (first === "mcp" && key) {
        if (header(req, "authorization") !== `Bearer ${MCP_TEST_TOKEN}`) return sendJson(res, 401, { error: "unauthorized" });
        count(`mcp:${key}`);
        const mcp = buildMcp(withParcel.has(key));
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on("close", () => void transport.close().then(() => mcp.close()));
        await mcp.connect(transport);
        return transport.handleRequest(req, res, raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined);
      }
      if (first === "__mcp" && key && parts[2] === "add-tool") {
        withParcel.add(key);
        return sendJson(res, 200, { ok: true });
      }
      if (first === "__hits" && key) return sendJson(res, 200, { hits: hits.get(key) ?? 0 });
      if (first === "__release" && key) {
        const waiting = held.get(key) ?? [];
        held.delete(key);
        for (const release of waiting) release();
        return sendJson(res, 200, { released: waiting.length });
      }
      if (first === "hold" && key && parts[2]) {
        count(key);
        await new Promise<void>((resolve) => held.set(key, [...(held.get(key) ?? []), resolve]));
        const order = ORDERS[parts[2]];
        if (!order) return sendJson(res, 404, { error: "no such order" });
        return sendJson(res, 200, { number: parts[2], status: order.status, carrier: order.carrier, eta: order.eta });
      }
      if (first === "orders" && key) {
        count(`orders:${key}`);
        const order = ORDERS[key];
        if (!order) return sendJson(res, 404, { error: "no such order" });
        return sendJson(res, 200, { number: key, status: order.status, carrier: order.carrier, eta: order.eta, internal: { warehouse: "W-7", margin: 0.31 } });
      }
      if (first === "customers" && key && parts[2] === "orders" && parts[3]) {
        count(`customers:${key}`);
        const order = ORDERS[parts[3]];
        if (!order || order.owner !== key) return sendJson(res, 404, { error: "no such order for this customer" });
        return sendJson(res, 200, { number: parts[3], status: order.status, carrier: order.carrier, eta: order.eta, customer: key });
      }
      if (key) count(key);
      if (first === "echo") {
        return sendJson(res, 200, {
          method: req.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as unknown) : null,
          api_key: header(req, "x-api-key") ?? null,
        });
      }
      if (first === "slow") return; // no answer: the caller's time limit ends it
      if (first === "fail") return sendJson(res, 500, { error: "internal" });
      if (first === "big") return sendJson(res, 200, { data: "x".repeat(300 * 1024) });
      if (first === "redirect-private") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
        return res.end();
      }
      sendJson(res, 404, { error: "not found" });
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
    });
  });
  return listenLocally(server);
}
