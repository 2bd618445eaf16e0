import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useFetcher, useLoaderData, useRevalidator, useSearchParams } from "@remix-run/react";
import { useEffect } from "react";
import type { Assistant, KnowledgeDocument, NotionSource, Page, SearchHit } from "../../../schema/api";
import { notionBusy, NotionSources } from "../components/notion-sources";
import { Uploader } from "../components/uploader";
import { Badge, Csrf, EmptyState, errorsOf, Field, FilterForm, Notice, PageHeader, SelectField, TextAreaField } from "../components/ui";
import { ApiFailure } from "../lib/api.server";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { count, dateTime } from "../lib/format";
import { attempt, intentAction, invalid, text } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Knowledge base · EdgeDesk" }];

/** How often the page checks on documents still being processed. */
const PROCESSING_POLL_MS = 2_000;

export async function loader(args: LoaderFunctionArgs) {
  const p = new URL(args.request.url).searchParams;
  try {
    const [assistants, me] = await Promise.all([api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } }), requireMe(args)]);
    const selected = assistants.data.find((a) => a.id === p.get("assistant")) ?? assistants.data[0] ?? null;
    const q = p.get("q")?.trim() ?? "";
    const mode = ["hybrid", "keyword", "vector"].includes(p.get("mode") ?? "") ? p.get("mode")! : "hybrid";
    let documents: KnowledgeDocument[] = [];
    let notion: NotionSource[] = [];
    let hits: SearchHit[] | null = null;
    let searchError: string | null = null;
    if (selected) {
      const [docs, sources, search] = await Promise.all([
        api<Page<KnowledgeDocument>>(args, "GET", `/assistants/${selected.id}/documents`, { query: { limit: 100 } }),
        api<{ data: NotionSource[] }>(args, "GET", `/assistants/${selected.id}/notion-sources`),
        q
          ? api<{ data: SearchHit[] }>(args, "GET", `/assistants/${selected.id}/search`, { query: { q, k: 8, mode } }).catch((err: unknown) => {
              if (err instanceof ApiFailure) {
                searchError = err.message;
                return null;
              }
              throw err;
            })
          : Promise.resolve(null),
      ]);
      documents = docs.data;
      notion = sources.data;
      hits = search?.data ?? null;
    }
    return {
      assistants: assistants.data.map((a) => ({ id: a.id, name: a.name })),
      assistantId: selected?.id ?? null,
      documents,
      notion,
      q,
      mode,
      hits,
      searchError: searchError as string | null,
      role: me.user.role,
    };
  } catch (err) {
    return loaderFailure(err);
  }
}

export const action = intentAction("manager", {
  reindex: ({ args, form, intent }) =>
    attempt(intent, () => api(args, "POST", `/documents/${text(form, "document_id") ?? ""}/reindex`), "Queued for processing again."),
  delete: ({ args, form, intent }) => attempt(intent, () => api(args, "DELETE", `/documents/${text(form, "document_id") ?? ""}`), "Document deleted."),
  add_text: ({ args, form, intent }) =>
    attempt(
      intent,
      () =>
        api(args, "POST", `/assistants/${text(form, "assistant_id") ?? ""}/documents`, {
          body: { title: text(form, "title") ?? "", content: text(form, "content") ?? "" },
        }),
      "Article added and queued for processing.",
    ),
  add_url: ({ args, form, intent }) => {
    const url = text(form, "url");
    if (!url) return invalid(intent, "Enter a URL.", { url: "Enter a URL." });
    return attempt(intent, () => api(args, "POST", `/assistants/${text(form, "assistant_id") ?? ""}/documents`, { body: { url } }), "Page queued for fetching.");
  },
  add_notion: ({ args, form, intent }) => {
    const pageIds = (text(form, "page_ids") ?? "")
      .split(/\s+/)
      .map((line) => line.trim())
      .filter(Boolean);
    const databaseId = text(form, "database_id");
    if (pageIds.length === 0 && !databaseId) return invalid(intent, "Enter page links or a database link.", { page_ids: "Enter page links or a database link." });
    const body = { ...(pageIds.length > 0 ? { page_ids: pageIds } : {}), ...(databaseId ? { database_id: databaseId } : {}) };
    return attempt(intent, () => api(args, "POST", `/assistants/${text(form, "assistant_id") ?? ""}/notion-sources`, { body }), "Queued for sync.");
  },
  sync_notion: ({ args, form, intent }) =>
    attempt(intent, () => api(args, "POST", `/notion-sources/${text(form, "source_id") ?? ""}/sync`), "Queued for sync."),
  remove_notion: ({ args, form, intent }) => attempt(intent, () => api(args, "DELETE", `/notion-sources/${text(form, "source_id") ?? ""}`), "Removed."),
});

export default function Knowledge() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const revalidator = useRevalidator();
  const manage = can(data.role, "manageKnowledge");
  const busy = data.documents.some((d) => d.status === "queued" || d.status === "processing") || notionBusy(data.notion);

  // Documents being processed are checked on until they are ready or failed.
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), PROCESSING_POLL_MS);
    return () => clearInterval(timer);
  }, [busy, revalidator]);

  if (!data.assistantId) {
    return (
      <>
        <PageHeader title="Knowledge base" />
        <EmptyState title="No assistant yet">
          <p>
            Knowledge belongs to an assistant. <Link to="/assistants">Create an assistant</Link> first.
          </p>
        </EmptyState>
      </>
    );
  }
  const addText = errorsOf(result, "add_text");
  const addUrl = errorsOf(result, "add_url");
  return (
    <>
      <PageHeader title="Knowledge base" description="The help articles your assistant answers from." />
      <FilterForm>
        <SelectField label="Assistant" name="assistant" defaultValue={data.assistantId}>
          {data.assistants.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </SelectField>
      </FilterForm>

      {manage ? (
        <section className="card" aria-labelledby="add-heading">
          <h2 id="add-heading">Add knowledge</h2>
          <Uploader assistantId={data.assistantId} />
          <div className="grid">
            <Form method="post" className="stack">
              <h3>Write an article</h3>
              <Csrf />
              <input type="hidden" name="intent" value="add_text" />
              <input type="hidden" name="assistant_id" value={data.assistantId} />
              <Notice kind="error">{addText.message}</Notice>
              <Notice kind="success">{result?.ok && result.intent === "add_text" ? result.message : undefined}</Notice>
              <Field label="Title" name="title" required error={addText.field("title")} />
              <TextAreaField label="Content" name="content" rows={4} required error={addText.field("content")} />
              <button className="button secondary" type="submit">
                Add article
              </button>
            </Form>
            <Form method="post" className="stack">
              <h3>Add a web page</h3>
              <Csrf />
              <input type="hidden" name="intent" value="add_url" />
              <input type="hidden" name="assistant_id" value={data.assistantId} />
              <Notice kind="error">{addUrl.message}</Notice>
              <Notice kind="success">{result?.ok && result.intent === "add_url" ? result.message : undefined}</Notice>
              <Field label="URL" name="url" type="url" placeholder="https://example.com/help" required error={addUrl.field("url")} />
              <button className="button secondary" type="submit">
                Add page
              </button>
            </Form>
          </div>
        </section>
      ) : null}

      <NotionSources assistantId={data.assistantId} sources={data.notion} manage={manage} result={result} />

      <section aria-labelledby="docs-heading">
        <h2 id="docs-heading">Documents {busy ? <span className="muted small">(processing…)</span> : null}</h2>
        {data.documents.length === 0 ? (
          <EmptyState title="No documents yet">{manage ? <p>Upload files or write an article above.</p> : <p>A manager can add documents.</p>}</EmptyState>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Documents of the assistant">
            <table>
              <caption className="visually-hidden">Documents of the assistant</caption>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">Type</th>
                  <th scope="col" className="num">
                    Chunks
                  </th>
                  <th scope="col" className="num">
                    Tokens
                  </th>
                  <th scope="col">Updated</th>
                  {manage ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {data.documents.map((d) => (
                  <DocumentRow key={d.id} doc={d} manage={manage} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="search-heading">
        <h2 id="search-heading">Try a search</h2>
        <p className="muted small">See which passages the assistant would retrieve for a question, best first.</p>
        <Form method="get" className="row" role="search" aria-label="Search the knowledge base">
          <input type="hidden" name="assistant" value={data.assistantId} />
          <Field label="Question" name="q" type="search" defaultValue={params.get("q") ?? ""} required />
          <SelectField label="Retrieval" name="mode" defaultValue={data.mode}>
            <option value="hybrid">Hybrid (keywords + vectors)</option>
            <option value="keyword">Keywords only</option>
            <option value="vector">Vectors only</option>
          </SelectField>
          <button className="button" type="submit">
            Search
          </button>
        </Form>
        <Notice kind="error">{data.searchError}</Notice>
        {data.hits && data.hits.length === 0 ? <p>No passage matches this question.</p> : null}
        {data.hits && data.hits.length > 0 ? (
          <ol aria-label="Search results">
            {data.hits.map((h) => (
              <li key={h.chunk_id} className="hit">
                <strong>{h.title}</strong> <span className="muted">score {h.score.toFixed(4)}</span>
                <p>{h.content}</p>
              </li>
            ))}
          </ol>
        ) : null}
      </section>
    </>
  );
}

function DocumentRow({ doc, manage }: { doc: KnowledgeDocument; manage: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const deleting = fetcher.state !== "idle" && fetcher.formData?.get("intent") === "delete";
  const reindexing = fetcher.state !== "idle" && fetcher.formData?.get("intent") === "reindex";
  const errors = errorsOf(fetcher.data);
  // Deleting hides the row at once; it comes back with an error if the API refused.
  if (deleting || (fetcher.data?.ok && fetcher.data.intent === "delete")) return null;
  return (
    <tr data-document={doc.id} data-status={doc.status}>
      <td>
        <Link to={`/knowledge/${doc.id}`}>{doc.title}</Link>
        {doc.error ? <p className="field-error">{doc.error}</p> : null}
        {errors.message ? (
          <p className="field-error" role="alert">
            {errors.message}
          </p>
        ) : null}
      </td>
      <td>
        <Badge value={reindexing ? "queued" : doc.status} />
      </td>
      <td>{doc.source_type}</td>
      <td className="num">{count(doc.chunk_count)}</td>
      <td className="num">{count(doc.token_count)}</td>
      <td>{dateTime(doc.updated_at)}</td>
      {manage ? (
        <td>
          <fetcher.Form method="post" className="actions">
            <Csrf />
            <input type="hidden" name="document_id" value={doc.id} />
            <button className="button secondary small" type="submit" name="intent" value="reindex" aria-label={`Re-index ${doc.title}`}>
              Re-index
            </button>
            <button
              className="button danger small"
              type="submit"
              name="intent"
              value="delete"
              aria-label={`Delete ${doc.title}`}
              onClick={(e) => {
                if (!confirm(`Delete “${doc.title}”? Its chunks and vectors are removed too.`)) e.preventDefault();
              }}
            >
              Delete
            </button>
          </fetcher.Form>
        </td>
      ) : null}
    </tr>
  );
}
