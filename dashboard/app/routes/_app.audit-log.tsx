import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import type { AuditLog, Page } from "../../../schema/api";
import { EmptyState, PageHeader } from "../components/ui";
import { api, loaderFailure, requireRole } from "../lib/auth.server";
import { dateTime } from "../lib/format";

export const meta: MetaFunction = () => [{ title: "Audit log · EdgeDesk" }];

export async function loader(args: LoaderFunctionArgs) {
  await requireRole(args, "admin");
  try {
    const page = await api<Page<AuditLog>>(args, "GET", "/audit-logs", {
      query: { limit: 50, cursor: new URL(args.request.url).searchParams.get("cursor") },
    });
    return { entries: page.data, next: page.next_cursor };
  } catch (err) {
    return loaderFailure(err);
  }
}

export default function AuditLogPage() {
  const { entries, next } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <>
      <PageHeader title="Audit log" description="Every change to the workspace: who, what and when." />
      {entries.length === 0 ? (
        <EmptyState title="Nothing recorded yet" />
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit log, newest first">
          <table>
            <caption className="visually-hidden">Audit log, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">By</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.created_at)}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.actor_type} <code className="small">{e.actor_id}</code>
                  </td>
                  <td>{e.target_id ? <code className="small">{e.target_id}</code> : "—"}</td>
                  <td className="small">{Object.keys(e.metadata).length > 0 ? JSON.stringify(e.metadata) : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="actions">
        {params.get("cursor") ? <Link to="/audit-log">Newest</Link> : null}
        {next ? <Link to={`/audit-log?cursor=${encodeURIComponent(next)}`}>Older entries</Link> : null}
      </p>
    </>
  );
}
