import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useLoaderData, useNavigation, useRevalidator, useSearchParams } from "@remix-run/react";
import { useEffect } from "react";
import type { Assistant, Conversation, Page } from "../../../schema/api";
import { Badge, EmptyState, Field, PageHeader, SelectField } from "../components/ui";
import { api, loaderFailure } from "../lib/auth.server";
import { dateTime } from "../lib/format";

export const meta: MetaFunction = () => [{ title: "Conversations · EdgeDesk" }];

/** How often the open inbox looks for new conversations. */
const INBOX_POLL_MS = 5_000;
const STATUSES = ["active", "escalated", "resolved"] as const;
const CHANNELS = ["web", "api", "slack", "whatsapp", "email"] as const;

/** `2026-11-26` as the start of that day in UTC; `end` gives the start of the next day. */
function dayBoundary(value: string | null, end = false): string | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const t = Date.parse(`${value}T00:00:00.000Z`);
  if (Number.isNaN(t)) return undefined;
  return new Date(end ? t + 86_400_000 : t).toISOString();
}

export async function loader(args: LoaderFunctionArgs) {
  const p = new URL(args.request.url).searchParams;
  try {
    const [list, assistants] = await Promise.all([
      api<Page<Conversation>>(args, "GET", "/conversations", {
        query: {
          limit: 25,
          status: p.get("status"),
          channel: p.get("channel"),
          assistant_id: p.get("assistant_id"),
          from: dayBoundary(p.get("from")),
          to: dayBoundary(p.get("to"), true),
          q: p.get("q")?.trim(),
          cursor: p.get("cursor"),
        },
      }),
      api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } }),
    ]);
    return { conversations: list.data, nextCursor: list.next_cursor, assistants: assistants.data.map((a) => ({ id: a.id, name: a.name })) };
  } catch (err) {
    return loaderFailure(err);
  }
}

export default function Inbox() {
  const { conversations, nextCursor, assistants } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const filtered = ["status", "channel", "assistant_id", "from", "to", "q"].some((k) => params.get(k));

  // New conversations show up without a reload while the inbox is open and visible.
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && revalidator.state === "idle") revalidator.revalidate();
    }, INBOX_POLL_MS);
    return () => clearInterval(timer);
  }, [revalidator]);

  const assistantName = (id: string) => assistants.find((a) => a.id === id)?.name ?? id;
  const nextParams = new URLSearchParams(params);
  if (nextCursor) nextParams.set("cursor", nextCursor);

  return (
    <>
      <PageHeader title="Conversations" description="Every conversation with your assistants. New ones appear here as they start." />
      <Form method="get" className="card row" role="search" aria-label="Filter conversations">
        <Field label="Search messages" name="q" type="search" defaultValue={params.get("q") ?? ""} placeholder="refund, order number…" />
        <SelectField label="Status" name="status" defaultValue={params.get("status") ?? ""}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
        <SelectField label="Channel" name="channel" defaultValue={params.get("channel") ?? ""}>
          <option value="">Any channel</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </SelectField>
        <SelectField label="Assistant" name="assistant_id" defaultValue={params.get("assistant_id") ?? ""}>
          <option value="">Any assistant</option>
          {assistants.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </SelectField>
        <Field label="From" name="from" type="date" defaultValue={params.get("from") ?? ""} />
        <Field label="To" name="to" type="date" defaultValue={params.get("to") ?? ""} />
        <div className="actions">
          <button className="button" type="submit">
            Filter
          </button>
          {filtered ? (
            <Link className="button secondary" to="/conversations">
              Clear
            </Link>
          ) : null}
        </div>
      </Form>
      {navigation.state === "loading" && navigation.location.pathname === "/conversations" ? <p className="muted">Loading…</p> : null}
      {conversations.length === 0 ? (
        <EmptyState title={filtered ? "No conversation matches these filters" : "No conversations yet"}>
          {filtered ? <p>Try fewer filters or another search.</p> : <p>When visitors talk to your widget, their conversations appear here.</p>}
        </EmptyState>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Conversations, most recent first">
          <table>
            <caption className="visually-hidden">Conversations, most recent first</caption>
            <thead>
              <tr>
                <th scope="col">Visitor</th>
                <th scope="col">Status</th>
                <th scope="col">Assistant</th>
                <th scope="col">Channel</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {conversations.map((c) => (
                <tr key={c.id} data-conversation={c.id}>
                  <td>
                    <Link to={`/conversations/${c.id}`}>{c.visitor_id}</Link>
                  </td>
                  <td>
                    <Badge value={c.status} /> {c.human_takeover ? <Badge value="human" /> : null}
                  </td>
                  <td>{assistantName(c.assistant_id)}</td>
                  <td>{c.channel}</td>
                  <td>{dateTime(c.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <p>
          <Link to={`/conversations?${nextParams}`}>Older conversations</Link>
        </p>
      ) : null}
    </>
  );
}
