import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { Page, SavedReply } from "../../../schema/api";
import { useMe } from "./_app";
import { EmptyState, Csrf, errorsOf, Field, Notice, PageHeader, TextAreaField } from "../components/ui";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { dateTime } from "../lib/format";
import { attempt, intentAction, text } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Saved replies · EdgeDesk" }];

/** Saved replies listed on the page: the most a workspace keeps. */
const LIST_PAGES = 5;

export async function loader(args: LoaderFunctionArgs) {
  await requireMe(args);
  try {
    const replies: SavedReply[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < LIST_PAGES; i++) {
      const page: Page<SavedReply> = await api<Page<SavedReply>>(args, "GET", "/saved-replies", { query: { limit: 100, cursor } });
      replies.push(...page.data);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return { replies };
  } catch (err) {
    return loaderFailure(err);
  }
}

/** Create, change and delete: managers and admins. */
export const action = intentAction("manager", {
  create: ({ args, form, intent }) =>
    attempt(intent, () => api<SavedReply>(args, "POST", "/saved-replies", { body: { title: text(form, "title") ?? "", body: text(form, "body") ?? "" } }), "Saved."),
  update: ({ args, form, intent }) =>
    attempt(
      intent,
      () =>
        api<SavedReply>(args, "PATCH", `/saved-replies/${encodeURIComponent(text(form, "reply_id") ?? "")}`, {
          body: { title: text(form, "title") ?? "", body: text(form, "body") ?? "" },
        }),
      "Changes saved.",
    ),
  delete: ({ args, form, intent }) =>
    attempt(intent, () => api(args, "DELETE", `/saved-replies/${encodeURIComponent(text(form, "reply_id") ?? "")}`), "Deleted."),
});

const VARIABLES_HINT = "Variables: {{visitor.name}}, {{conversation.link}}, {{assistant.name}}. Agents insert a reply by typing / in the reply box.";

export default function SavedReplies() {
  const { replies } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const editable = can(useMe().user.role, "manageSavedReplies");
  const createErrors = errorsOf(result, "create");
  const listErrors = result && !result.ok && result.intent !== "create" ? result.error.message : undefined;
  return (
    <>
      <PageHeader title="Saved replies" description="Answers your team reuses, most used first." />
      {editable ? (
        <Form method="post" className="card stack" aria-labelledby="new-reply-heading">
          <h2 id="new-reply-heading">New saved reply</h2>
          <Csrf />
          <input type="hidden" name="intent" value="create" />
          <Notice kind="error">{createErrors.message}</Notice>
          <Notice kind="success">{result?.ok && result.intent === "create" ? result.message : undefined}</Notice>
          <Field label="Title" name="title" required maxLength={120} error={createErrors.field("title")} />
          <TextAreaField label="Text" name="body" rows={4} required hint={VARIABLES_HINT} error={createErrors.field("body")} />
          <div>
            <button className="button" type="submit" disabled={busy}>
              Save reply
            </button>
          </div>
        </Form>
      ) : null}
      <section className="card stack" aria-labelledby="replies-heading">
        <h2 id="replies-heading">Replies</h2>
        <Notice kind="error">{listErrors}</Notice>
        <Notice kind="success">{result?.ok && result.intent !== "create" ? result.message : undefined}</Notice>
        {replies.length === 0 ? (
          <EmptyState title="No saved replies yet">{editable ? "Save the answers you write most often." : "Managers can add them."}</EmptyState>
        ) : (
          <ul className="saved-replies">
            {replies.map((r) => (
              <li key={r.id} data-saved-reply={r.id} className="stack">
                <div>
                  <strong>{r.title}</strong>{" "}
                  <span className="muted small">
                    used {r.use_count} time{r.use_count === 1 ? "" : "s"} · updated {dateTime(r.updated_at)}
                  </span>
                </div>
                <p className="pre-wrap">{r.body}</p>
                {editable ? (
                  <details>
                    <summary>Edit or delete</summary>
                    <Form method="post" className="stack">
                      <Csrf />
                      <input type="hidden" name="reply_id" value={r.id} />
                      <Field label="Title" name="title" required maxLength={120} defaultValue={r.title} />
                      <TextAreaField label="Text" name="body" rows={4} required defaultValue={r.body} />
                      <div className="actions">
                        <button className="button" type="submit" name="intent" value="update" disabled={busy}>
                          Save changes
                        </button>
                        <button className="button danger" type="submit" name="intent" value="delete" formNoValidate disabled={busy}>
                          Delete
                        </button>
                      </div>
                    </Form>
                  </details>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
