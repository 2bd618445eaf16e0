import { Form, Link, useFetcher } from "@remix-run/react";
import type { NotionSource } from "../../../schema/api";
import type { ActionResult } from "../lib/forms.server";
import { dateTime } from "../lib/format";
import { Badge, Csrf, EmptyState, errorsOf, Field, Notice, TextAreaField } from "./ui";

/** Whether a source still has work in the queue: the page keeps checking on it. */
export function notionBusy(sources: readonly NotionSource[]): boolean {
  return sources.some((s) => s.status === "queued" || s.status === "syncing" || s.documents.pending > 0);
}

/** The Notion pages and databases of an assistant: add them, see their sync state, sync or remove them. */
export function NotionSources({
  assistantId,
  sources,
  manage,
  result,
}: {
  assistantId: string;
  sources: NotionSource[];
  manage: boolean;
  result: ActionResult | undefined;
}) {
  const add = errorsOf(result, "add_notion");
  return (
    <section className="card" aria-labelledby="notion-heading">
      <h2 id="notion-heading">Notion</h2>
      <p className="muted small">
        Pages (with their sub-pages) and databases shared with your Notion integration, kept in sync: edited pages are indexed again, deleted ones removed. An admin
        connects Notion on the <Link to="/integrations">Integrations</Link> page.
      </p>
      {sources.length === 0 ? (
        <EmptyState title="No Notion pages yet">{manage ? <p>Add page or database links below.</p> : <p>A manager can add Notion pages.</p>}</EmptyState>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Notion sources of the assistant">
          <table>
            <caption className="visually-hidden">Notion sources of the assistant</caption>
            <thead>
              <tr>
                <th scope="col">Page or database</th>
                <th scope="col">Sync</th>
                <th scope="col">Documents</th>
                <th scope="col">Last synced</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <SourceRow key={s.id} source={s} manage={manage} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manage ? (
        <Form method="post" className="stack">
          <h3>Add from Notion</h3>
          <Csrf />
          <input type="hidden" name="intent" value="add_notion" />
          <input type="hidden" name="assistant_id" value={assistantId} />
          <Notice kind="error">{add.message}</Notice>
          <Notice kind="success">{result?.ok && result.intent === "add_notion" ? result.message : undefined}</Notice>
          <TextAreaField label="Page links or ids, one a line" name="page_ids" rows={3} error={add.field("page_ids")} />
          <Field label="Database link or id" name="database_id" error={add.field("database_id")} />
          <button className="button secondary" type="submit">
            Add and sync
          </button>
        </Form>
      ) : null}
    </section>
  );
}

function SourceRow({ source: s, manage }: { source: NotionSource; manage: boolean }) {
  const fetcher = useFetcher<ActionResult>();
  const removing = fetcher.state !== "idle" && fetcher.formData?.get("intent") === "remove_notion";
  const syncing = fetcher.state !== "idle" && fetcher.formData?.get("intent") === "sync_notion";
  const errors = errorsOf(fetcher.data);
  if (removing || (fetcher.data?.ok && fetcher.data.intent === "remove_notion")) return null;
  const name = s.title ?? `${s.kind} ${s.notion_id}`;
  return (
    <tr data-notion-source={s.id} data-status={s.status}>
      <td>
        {s.url ? (
          <a href={s.url} target="_blank" rel="noreferrer">
            {name}
          </a>
        ) : (
          name
        )}{" "}
        <span className="muted small">({s.kind})</span>
        {s.error ? <p className="field-error">{s.error}</p> : null}
        {errors.message ? (
          <p className="field-error" role="alert">
            {errors.message}
          </p>
        ) : null}
      </td>
      <td>
        <Badge value={syncing ? "queued" : s.status} />
      </td>
      <td>
        {s.documents.ready} ready
        {s.documents.pending > 0 ? `, ${s.documents.pending} processing` : ""}
        {s.documents.failed > 0 ? `, ${s.documents.failed} failed` : ""}
      </td>
      <td>{s.last_synced_at ? dateTime(s.last_synced_at) : "never"}</td>
      {manage ? (
        <td>
          <fetcher.Form method="post" className="actions">
            <Csrf />
            <input type="hidden" name="source_id" value={s.id} />
            <button className="button secondary small" type="submit" name="intent" value="sync_notion" aria-label={`Sync ${name}`}>
              Sync now
            </button>
            <button
              className="button danger small"
              type="submit"
              name="intent"
              value="remove_notion"
              aria-label={`Remove ${name}`}
              onClick={(e) => {
                if (!confirm(`Remove “${name}”? Its pages leave the knowledge base.`)) e.preventDefault();
              }}
            >
              Remove
            </button>
          </fetcher.Form>
        </td>
      ) : null}
    </tr>
  );
}
