import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { Assistant, Page } from "../../../schema/api";
import { Csrf, EmptyState, errorsOf, Field, Notice, PageHeader } from "../components/ui";
import { api, loaderFailure, requireMe, requireRole } from "../lib/auth.server";
import { dateTime } from "../lib/format";
import { attemptThen, readForm, text } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Assistants · EdgeDesk" }];

export async function loader(args: LoaderFunctionArgs) {
  try {
    const [list, me] = await Promise.all([api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } }), requireMe(args)]);
    return { assistants: list.data, role: me.user.role };
  } catch (err) {
    return loaderFailure(err);
  }
}

export async function action(args: ActionFunctionArgs) {
  await requireRole(args, "admin");
  const form = await readForm(args);
  return attemptThen(
    "create",
    () => api<Assistant>(args, "POST", "/assistants", { body: { name: text(form, "name") ?? "" } }),
    (created) => redirect(`/assistants/${created.id}`),
  );
}

export default function Assistants() {
  const { assistants, role } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = errorsOf(result, "create");
  return (
    <>
      <PageHeader title="Assistants" description="Each assistant has its own prompt, tone, knowledge base and widget." />
      {can(role, "editAssistants") ? (
        <Form method="post" className="card row">
          <Csrf />
          <Field label="New assistant name" name="name" required error={errors.field("name")} />
          <button className="button" type="submit" disabled={busy}>
            Create assistant
          </button>
          <Notice kind="error">{errors.message}</Notice>
        </Form>
      ) : null}
      {assistants.length === 0 ? (
        <EmptyState title="No assistants yet">{can(role, "editAssistants") ? <p>Create your first one above.</p> : <p>An admin can create one.</p>}</EmptyState>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Assistants">
          <table>
            <caption className="visually-hidden">Assistants</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Tone</th>
                <th scope="col">Escalation threshold</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {assistants.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/assistants/${a.id}`}>{a.name}</Link>
                  </td>
                  <td>{a.tone}</td>
                  <td>{a.escalation_threshold}</td>
                  <td>{dateTime(a.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

