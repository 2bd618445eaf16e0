/**
 * Local stand-ins for what the deployment's operations talk to, in their wire formats:
 * - alert receivers: `POST /webhook/<inbox>` (a generic webhook: any 2xx; an inbox named
 *   `down-…` answers 500) and `POST /slack/<inbox>` (a Slack incoming webhook: `ok` as text,
 *   400 `invalid_payload` without `text`); `GET /<webhook|slack>/<inbox>/log` lists what arrived
 *   (headers and raw body), for checking signatures over the exact bytes;
 * - a model provider's model list: `GET /provider/<up|down>/v1/models` (OpenAI's shape; 401
 *   without a bearer key, 503 with OpenAI's error shape when `down`);
 * - the Workers Analytics Engine SQL API: `POST /client/v4/accounts/<account>/analytics_engine/sql`
 *   with `Authorization: Bearer <token>`, answering ClickHouse `FORMAT JSON` (64-bit integers as
 *   strings). A test registers the account's token and answers (`POST /ae/<account>/setup`
 *   `{token, answers: [{match, data}]}`: the first answer whose `match` the query contains),
 *   and reads the queries it got (`GET /ae/<account>/log`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { header, listenLocally, readBody, type RunningFake } from "./fake-http";

/** A request a receiver got. */
export interface ReceivedNotice {
  headers: Record<string, string>;
  body: string;
}

/** A canned Analytics Engine answer. */
export interface SqlAnswer {
  match: string;
  data: Record<string, string | number | null>[];
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  res.writeHead(status, { "content-type": type });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** Starts the fake on a free local port. */
export async function startFakeOpsServer(): Promise<RunningFake> {
  const inboxes = new Map<string, ReceivedNotice[]>();
  const accounts = new Map<string, { token: string; answers: SqlAnswer[]; log: string[] }>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const parts = url.pathname.split("/").filter(Boolean);
    const [kind, name, action] = parts;

    if ((kind === "webhook" || kind === "slack") && name) {
      const key = `${kind}/${name}`;
      if (req.method === "GET" && action === "log") return send(res, 200, inboxes.get(key) ?? []);
      if (req.method !== "POST" || action) return send(res, 404, { error: "no such route" });
      const body = (await readBody(req)).toString("utf8");
      const headers: Record<string, string> = {};
      for (const h of Object.keys(req.headers)) headers[h] = header(req, h) ?? "";
      inboxes.set(key, [...(inboxes.get(key) ?? []), { headers, body }]);
      if (name.startsWith("down")) return send(res, 500, "receiver down", "text/plain");
      if (kind === "slack") {
        let text: unknown;
        try {
          text = (JSON.parse(body) as { text?: unknown }).text;
        } catch {
          text = undefined;
        }
        return typeof text === "string" && text ? send(res, 200, "ok", "text/plain") : send(res, 400, "invalid_payload", "text/plain");
      }
      return send(res, 204, "");
    }

    if (kind === "provider" && req.method === "GET" && parts.slice(2).join("/") === "v1/models") {
      if (!/^Bearer \S+$/.test(header(req, "authorization") ?? "")) {
        return send(res, 401, { error: { message: "You didn't provide an API key.", type: "invalid_request_error", code: null } });
      }
      if (name === "down") return send(res, 503, { error: { message: "The server is overloaded.", type: "server_error", code: null } });
      return send(res, 200, { object: "list", data: [{ id: "gpt-test", object: "model", created: 1_700_000_000, owned_by: "fake" }] });
    }

    if (kind === "ae" && name) {
      const account = accounts.get(name) ?? { token: "", answers: [], log: [] };
      if (req.method === "POST" && action === "setup") {
        const setup = JSON.parse((await readBody(req)).toString("utf8")) as { token: string; answers: SqlAnswer[] };
        accounts.set(name, { token: setup.token, answers: setup.answers, log: [] });
        return send(res, 204, "");
      }
      if (req.method === "GET" && action === "log") return send(res, 200, account.log);
    }

    const sql = /^\/client\/v4\/accounts\/([^/]+)\/analytics_engine\/sql$/.exec(url.pathname);
    if (sql && req.method === "POST") {
      const account = accounts.get(decodeURIComponent(sql[1] ?? ""));
      if (!account || header(req, "authorization") !== `Bearer ${account.token}`) {
        return send(res, 401, { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null });
      }
      const query = (await readBody(req)).toString("utf8");
      account.log.push(query);
      if (!query.endsWith("FORMAT JSON")) return send(res, 422, "only FORMAT JSON is played here", "text/plain");
      const data = account.answers.find((a) => query.includes(a.match))?.data ?? [];
      const meta = Object.keys(data[0] ?? {}).map((n) => ({ name: n, type: typeof data[0]?.[n] === "string" ? "UInt64" : "Float64" }));
      return send(res, 200, { meta, data, rows: data.length, rows_before_limit_at_least: data.length });
    }

    send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  return listenLocally(server);
}
