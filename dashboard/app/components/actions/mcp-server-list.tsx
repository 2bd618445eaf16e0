/**
 * The MCP servers connected to an assistant: where each is, what it calls itself, when its
 * tools were last listed and which actions they became. Admins refresh a server (its tools are
 * listed again) or remove it (with its actions); others only see them.
 */
import { Form } from "@remix-run/react";
import type { McpServer } from "../../../../schema/api";
import type { ActionResult } from "../../lib/forms.server";
import { Csrf, EmptyState, errorsOf, Notice } from "../ui";

/** A time as the dashboard shows it elsewhere (UTC, day first). */
const when = (iso: string) => new Date(iso).toLocaleString("en-GB", { timeZone: "UTC" });

/** The servers, with refresh and remove buttons for admins and the API's error of either. */
export function McpServerList({ servers, editable, result, busy }: { servers: McpServer[]; editable: boolean; result: ActionResult | undefined; busy: boolean }) {
  const error = errorsOf(result, "mcp_refresh").message ?? errorsOf(result, "mcp_remove").message;
  return (
    <section className="card stack" aria-labelledby="mcp-servers-heading">
      <h2 id="mcp-servers-heading">MCP servers</h2>
      <Notice kind="error">{error}</Notice>
      {servers.length === 0 ? (
        <EmptyState title="No MCP server connected">{editable ? "Connect one below: its tools become actions." : null}</EmptyState>
      ) : (
        <ul className="stack" aria-label="Connected MCP servers">
          {servers.map((s) => {
            const label = s.server_name ?? s.url;
            return (
              <li key={s.id} className="stack" data-server={s.id}>
                <div>
                  <strong>{label}</strong> <code className="small wrap-anywhere">{s.url}</code>
                </div>
                <p className="small muted">
                  {s.tool_count} tool{s.tool_count === 1 ? "" : "s"}
                  {s.actions.length ? `: ${s.actions.map((a) => a.name).join(", ")}` : ""}
                  {s.refreshed_at ? `. Listed ${when(s.refreshed_at)} UTC` : ""}
                  {s.headers_set.length ? `. Headers set: ${s.headers_set.join(", ")}` : ""}.
                </p>
                {editable ? (
                  <Form method="post" className="actions">
                    <Csrf />
                    <input type="hidden" name="server_id" value={s.id} />
                    <button className="button secondary small" type="submit" name="intent" value="mcp_refresh" disabled={busy} aria-label={`Refresh tools of ${label}`}>
                      Refresh tools
                    </button>
                    <button className="button danger small" type="submit" name="intent" value="mcp_remove" disabled={busy} aria-label={`Remove ${label}`}>
                      Remove
                    </button>
                  </Form>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
