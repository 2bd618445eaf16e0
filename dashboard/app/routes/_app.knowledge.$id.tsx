import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useFetcher, useLoaderData } from "@remix-run/react";
import type { KnowledgeDocument, Page, Phrasing } from "../../../schema/api";
import { Badge, Csrf, EmptyState, errorsOf, Field, Notice, PageHeader } from "../components/ui";
import { api, loaderFailure, requireMe, requireRole } from "../lib/auth.server";
import { count, dateTime } from "../lib/format";
import { attempt, invalid, readForm, text } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Document · EdgeDesk" }];

/** Phrasings shown on the page; the API pages through more. */
const PHRASINGS_SHOWN = 100;

export async function loader(args: LoaderFunctionArgs) {
  const id = args.params.id ?? "";
  try {
    const [document, phrasings, me] = await Promise.all([
      api<KnowledgeDocument>(args, "GET", `/documents/${id}`),
      api<Page<Phrasing>>(args, "GET", `/documents/${id}/phrasings`, { query: { limit: PHRASINGS_SHOWN } }),
      requireMe(args),
    ]);
    return { document, phrasings: phrasings.data, more: phrasings.next_cursor !== null, role: me.user.role };
  } catch (err) {
    return loaderFailure(err);
  }
}

/** Teach the document a phrasing, or remove one: managers and admins. */
export async function action(args: ActionFunctionArgs) {
  await requireRole(args, "manager");
  const form = await readForm(args);
  const id = args.params.id ?? "";
  const intent = text(form, "intent") ?? "";
  switch (intent) {
    case "add_phrasing": {
      const phrasing = text(form, "text");
      if (!phrasing) return invalid(intent, "Write how a visitor asks it.", { text: "Write how a visitor asks it." });
      return attempt(intent, () => api<Phrasing>(args, "POST", `/documents/${id}/phrasings`, { body: { text: phrasing } }), "Phrasing added.");
    }
    case "remove_phrasing":
      return attempt(intent, () => api(args, "DELETE", `/documents/${id}/phrasings/${text(form, "phrasing_id") ?? ""}`), "Phrasing removed.");
    default:
      return invalid(intent, "Unknown action.");
  }
}

export default function DocumentPage() {
  const { document: doc, phrasings, more, role } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const manage = can(role, "manageKnowledge");
  const add = errorsOf(result, "add_phrasing");
  return (
    <>
      <PageHeader
        title={doc.title}
        description={
          <>
            {doc.source_type} · {count(doc.chunk_count)} chunks · updated {dateTime(doc.updated_at)} · <Badge value={doc.status} />
          </>
        }
        actions={
          <Link className="button secondary" to={`/knowledge?assistant=${doc.assistant_id}`}>
            Back to knowledge base
          </Link>
        }
      />
      <section className="card" aria-labelledby="phrasings-heading">
        <h2 id="phrasings-heading">Learned phrasings</h2>
        <p className="muted small">
          How visitors asked questions this document answers. Search matches them like the document&apos;s title, so the next visitor who asks
          that way finds it. They are learned when someone resolves a conversation with this document, and erased with the visitor&apos;s data.
        </p>
        {phrasings.length === 0 ? (
          <EmptyState title="No learned phrasings yet">
            <p>Resolve a conversation with “Answered by article”, or add one below.</p>
          </EmptyState>
        ) : (
          <ul className="stack" aria-label="Learned phrasings">
            {phrasings.map((p) => (
              <PhrasingItem key={p.id} phrasing={p} manage={manage} />
            ))}
          </ul>
        )}
        {more ? <p className="muted small">Showing the newest {PHRASINGS_SHOWN}.</p> : null}
        {manage ? (
          <Form method="post" className="stack">
            <Csrf />
            <input type="hidden" name="intent" value="add_phrasing" />
            <Notice kind="error">{add.message}</Notice>
            <Notice kind="success">{result?.ok && result.intent === "add_phrasing" ? result.message : undefined}</Notice>
            <Field label="Add a phrasing" name="text" maxLength={500} required placeholder="How a visitor would ask it" error={add.field("text")} />
            <button className="button secondary" type="submit">
              Add phrasing
            </button>
          </Form>
        ) : null}
      </section>
    </>
  );
}

function PhrasingItem({ phrasing: p, manage }: { phrasing: Phrasing; manage: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const errors = errorsOf(fetcher.data);
  // Removing hides the phrasing at once; it comes back with the error if the API refused.
  if (fetcher.state !== "idle" || (fetcher.data?.ok && fetcher.data.intent === "remove_phrasing")) return null;
  return (
    <li className="actions" data-phrasing={p.id}>
      <span>“{p.text}”</span>
      <span className="muted small">
        {dateTime(p.created_at)}
        {p.conversation_id ? (
          <>
            {" · "}
            <Link to={`/conversations/${p.conversation_id}`}>from a conversation</Link>
          </>
        ) : null}
      </span>
      {errors.message ? (
        <span className="field-error" role="alert">
          {errors.message}
        </span>
      ) : null}
      {manage ? (
        <fetcher.Form method="post">
          <Csrf />
          <input type="hidden" name="phrasing_id" value={p.id} />
          <button className="button danger small" type="submit" name="intent" value="remove_phrasing" aria-label={`Remove the phrasing “${p.text}”`}>
            Remove
          </button>
        </fetcher.Form>
      ) : null}
    </li>
  );
}
