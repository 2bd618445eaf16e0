import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useFetcher, useLoaderData } from "@remix-run/react";
import { useCallback, useEffect, useMemo, useRef } from "react";
import type { Assistant, Conversation, ConversationCrmContact, KnowledgeDocument, Message, Page, ResolvedConversation, SavedReply, ToolCall } from "../../../schema/api";
import { useLiveConversation, type LiveToolCall, type SocketInfo } from "../components/live-conversation";
import { SavedReplyBox } from "../components/saved-reply-box";
import { Badge, Csrf, errorsOf, Notice, PageHeader, SelectField, useCsrf } from "../components/ui";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { dateTime, ms } from "../lib/format";
import { attempt, intentAction, invalid, text } from "../lib/forms.server";
import { agentSocket } from "../lib/live.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Conversation · EdgeDesk" }];

/** Messages loaded with the page; a longer history is in the export. */
const MAX_PAGES = 5;
/** Articles offered as "Answered by article" when resolving. */
const ARTICLES_OFFERED = 100;
/** Saved replies offered in the reply box: the most used (the list's order). */
const SAVED_REPLIES_OFFERED = 100;

export async function loader(args: LoaderFunctionArgs) {
  const id = args.params.id ?? "";
  try {
    const conversation = await api<Conversation>(args, "GET", `/conversations/${id}`);
    const messages: Message[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page: Page<Message> = await api<Page<Message>>(args, "GET", `/conversations/${id}/messages`, { query: { limit: 100, cursor } });
      messages.push(...page.data);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    const [assistant, socket, me, crm] = await Promise.all([
      api<Assistant>(args, "GET", `/assistants/${conversation.assistant_id}`).catch(() => null),
      agentSocket(args, id),
      requireMe(args),
      api<ConversationCrmContact>(args, "GET", `/conversations/${id}/crm-contact`).catch(() => null),
    ]);
    // The assistant's ready articles, for "Answered by article" (only who may resolve sees it).
    const articles = can(me.user.role, "reply")
      ? (await api<Page<KnowledgeDocument>>(args, "GET", `/assistants/${conversation.assistant_id}/documents`, { query: { limit: ARTICLES_OFFERED } }).catch(() => null))?.data
          .filter((d) => d.status === "ready")
          .map((d) => ({ id: d.id, title: d.title })) ?? []
      : [];
    // Saved replies for the reply box's `/` list (only who may reply uses them).
    const savedReplies = can(me.user.role, "reply")
      ? ((await api<Page<SavedReply>>(args, "GET", "/saved-replies", { query: { limit: SAVED_REPLIES_OFFERED } }).catch(() => null))?.data ?? [])
      : [];
    return {
      conversation,
      messages,
      more: cursor !== null,
      assistantName: assistant?.name ?? conversation.assistant_id,
      socket,
      role: me.user.role,
      articles,
      savedReplies,
      crmContact: crm?.contact ?? null,
    };
  } catch (err) {
    return loaderFailure(err);
  }
}

/**
 * Reply (which takes over from the AI), hand back, resolve: managers and admins. Resolving with
 * an article keeps the visitor's unanswered question as a learned phrasing of it.
 */
export const action = intentAction("manager", {
  reply: ({ args, form, intent }) => {
    const content = text(form, "content");
    if (!content) return invalid(intent, "Write a reply first.", { content: "Write a reply first." });
    return attempt(intent, () => api<Message>(args, "POST", `/conversations/${args.params.id ?? ""}/agent-messages`, { body: { content } }));
  },
  handback: ({ args, intent }) => attempt(intent, () => api(args, "POST", `/conversations/${args.params.id ?? ""}/handback`), "The assistant answers again."),
  resolve: async ({ args, form, intent }) => {
    const documentId = text(form, "document_id");
    const result = await attempt(intent, () =>
      api<ResolvedConversation>(args, "POST", `/conversations/${args.params.id ?? ""}/resolve`, documentId ? { body: { document_id: documentId } } : {}),
    );
    if (result.data.ok) result.data.message = resolvedMessage(result.data.result, documentId !== undefined);
    return result;
  },
});

/** What resolving says: with an article, which question it learned. */
function resolvedMessage(resolved: ResolvedConversation | undefined, withArticle: boolean): string {
  if (!withArticle) return "Marked as resolved.";
  const learned = resolved?.learned_phrasing;
  return learned ? `Marked as resolved. The article now also answers “${learned.text}”.` : "Marked as resolved; the visitor asked nothing to learn from.";
}

/**
 * Who the visitor proved to be, for the details panel: "Verified: name (email)" from the claims the
 * business's identity proof carried, else the user id; unverified visitors are said to be so.
 */
function verifiedLine(c: Pick<Conversation, "verified" | "identity">): string {
  if (!c.verified || !c.identity) return "Not verified";
  const { user_id, name, email } = c.identity;
  const who = name && email ? `${name} (${email})` : (name ?? email ?? user_id);
  return `Verified: ${who}${who === user_id ? "" : ` · user ${user_id}`}`;
}

const SENDER: Record<Message["sender_type"], string> = {
  visitor: "Visitor",
  assistant: "Assistant",
  human_agent: "Agent",
  system: "System",
};

export default function ConversationPage() {
  const data = useLoaderData<typeof loader>();
  const csrf = useCsrf();
  const reply = useFetcher<typeof action>({ key: `reply-${data.conversation.id}` });
  const control = useFetcher<typeof action>();

  const initial = useMemo(
    () => ({
      messages: data.messages,
      drafts: {},
      tools: [],
      status: data.conversation.status,
      humanTakeover: data.conversation.human_takeover,
    }),
    [data.messages, data.conversation],
  );
  const renew = useCallback(async (): Promise<SocketInfo> => {
    const body = new FormData();
    body.set("csrf", csrf);
    const res = await fetch(`/conversations/${data.conversation.id}/token`, { method: "POST", body });
    if (!res.ok) throw new Error(`token renewal answered ${res.status}`);
    return (await res.json()) as SocketInfo;
  }, [csrf, data.conversation.id]);
  const { state, connection, typing, role: socketRole } = useLiveConversation(initial, data.socket, renew);
  // Replying, taking over, handing back and resolving show only while the API grants an agent
  // token; a viewer's token is watch-only, and a demoted user's socket is renewed as one.
  const canReply = can(data.role, "reply") && socketRole === "agent";

  // The reply being sent shows at once; it is replaced by the real one when it arrives.
  const pendingReply = reply.state !== "idle" ? String(reply.formData?.get("content") ?? "") : "";
  const replyErrors = errorsOf(reply.data, "reply");
  const controlErrors = errorsOf(control.data);
  const textarea = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (reply.state === "idle" && reply.data?.ok && textarea.current) textarea.current.value = "";
  }, [reply.state, reply.data]);

  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [state.messages.length, state.drafts]);

  const conversationId = data.conversation.id;
  const fillReply = useCallback(
    async (saved: SavedReply): Promise<string> => {
      const body = new FormData();
      body.set("csrf", csrf);
      body.set("reply_id", saved.id);
      const res = await fetch(`/conversations/${conversationId}/saved-reply`, { method: "POST", body });
      if (!res.ok) throw new Error(`saved reply answered ${res.status}`);
      return ((await res.json()) as { text: string }).text;
    },
    [csrf, conversationId],
  );

  const takenOver = state.humanTakeover;
  return (
    <>
      <PageHeader
        title={`Conversation with ${data.conversation.visitor_id}`}
        description={
          <>
            {data.assistantName} · {data.conversation.channel} · started {dateTime(data.conversation.created_at)}
          </>
        }
        actions={
          <>
            <Link className="button secondary" to="/conversations">
              Back to inbox
            </Link>
            <a className="button secondary" href={`/conversations/${data.conversation.id}/export`} download>
              Export JSON
            </a>
          </>
        }
      />
      <div className="conversation">
        <section className="card" aria-labelledby="messages-heading">
          <div className="actions">
            <h2 id="messages-heading">Messages</h2>
            <span className="live" role="status" data-connection={connection}>
              {connection === "live" ? "● Live" : connection === "connecting" ? "Connecting…" : connection === "reconnecting" ? "Reconnecting…" : "Not live"}
            </span>
          </div>
          {data.more ? <p className="muted small">Older messages are in the export.</p> : null}
          {state.messages.length === 0 && pendingReply === "" ? <p className="muted">No messages yet.</p> : null}
          <ol className="messages" ref={list} aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label="Messages">
            {state.messages.map((m) => (
              <MessageItem key={m.id} message={m} />
            ))}
            {state.tools.map((t) => (
              <LiveToolItem key={t.call_id} call={t} />
            ))}
            {Object.entries(state.drafts).map(([id, text]) => (
              <li key={id} className="message message-assistant" data-streaming="true">
                <div className="message-meta">Assistant · answering…</div>
                <div className="message-body">{text}</div>
              </li>
            ))}
            {pendingReply && !state.messages.some((m) => m.sender_type === "human_agent" && m.content === pendingReply.trim()) ? (
              <li className="message message-human_agent" data-pending="true">
                <div className="message-meta">Agent · sending…</div>
                <div className="message-body">{pendingReply}</div>
              </li>
            ) : null}
          </ol>
          <p className="typing" aria-live="polite">
            {typing ?? ""}
          </p>
          {canReply && state.status !== "resolved" ? (
            <reply.Form method="post" className="stack">
              <Csrf />
              <input type="hidden" name="intent" value="reply" />
              <Notice kind="error">{replyErrors.message}</Notice>
              <SavedReplyBox
                ref={textarea}
                label={takenOver ? "Reply as an agent" : "Reply as an agent (this takes over from the AI)"}
                name="content"
                rows={3}
                required
                error={replyErrors.field("content")}
                replies={data.savedReplies}
                fill={fillReply}
              />
              <button className="button" type="submit" disabled={reply.state !== "idle"}>
                {takenOver ? "Send reply" : "Take over and reply"}
              </button>
            </reply.Form>
          ) : null}
          {!canReply ? <p className="muted">You can read this conversation; replying needs the manager role.</p> : null}
        </section>
        <aside className="card" aria-labelledby="details-heading">
          <h2 id="details-heading">Details</h2>
          <p>
            Status: <Badge value={state.status} /> {takenOver ? <Badge value="human" /> : null}
          </p>
          <p className="small muted">{takenOver ? "A person is answering; the AI stays silent." : "The AI answers this conversation."}</p>
          <p className="small">Satisfaction: {data.conversation.satisfaction_score ?? "not rated"}</p>
          <p className="small">{verifiedLine(data.conversation)}</p>
          <CrmContactLine contact={data.crmContact} />
          <Notice kind="error">{controlErrors.message}</Notice>
          <Notice kind="success">{control.data?.ok ? control.data.message : undefined}</Notice>
          {canReply ? (
            <div className="actions">
              {takenOver ? (
                <control.Form method="post">
                  <Csrf />
                  <button className="button secondary" type="submit" name="intent" value="handback" disabled={control.state !== "idle"}>
                    Hand back to AI
                  </button>
                </control.Form>
              ) : null}
              {state.status !== "resolved" ? (
                <control.Form method="post" className="stack">
                  <Csrf />
                  {data.articles.length > 0 ? (
                    <SelectField
                      label="Answered by article"
                      name="document_id"
                      defaultValue=""
                      hint="The visitor's question is kept with the article, so search finds it for the next one who asks that way."
                      error={controlErrors.field("document_id")}
                    >
                      <option value="">None</option>
                      {data.articles.map((a) => (
                        <option key={a.id} value={a.id}>
                          {a.title}
                        </option>
                      ))}
                    </SelectField>
                  ) : null}
                  <button className="button" type="submit" name="intent" value="resolve" disabled={control.state !== "idle"}>
                    Resolve
                  </button>
                </control.Form>
              ) : null}
            </div>
          ) : null}
        </aside>
      </div>
    </>
  );
}

function MessageItem({ message: m }: { message: Message }) {
  return (
    <li className={`message message-${m.sender_type}`} data-message={m.id} data-sender={m.sender_type}>
      <div className="message-meta">
        {SENDER[m.sender_type]} · {dateTime(m.created_at)}
        {m.sender_type === "assistant" && m.confidence !== null ? ` · confidence ${Math.round(m.confidence * 100)}%` : ""}
        {m.sender_type === "assistant" && m.latency_ms !== null ? ` · ${ms(m.latency_ms)}` : ""}
        {m.status !== "complete" ? ` · ${m.status}` : ""}
      </div>
      <div className="message-body">{m.content}</div>
      {m.tool_calls?.length ? <ToolCalls calls={m.tool_calls} /> : null}
      {m.sources.length > 0 ? (
        <details className="sources">
          <summary>
            {m.sources.length} source{m.sources.length === 1 ? "" : "s"}
          </summary>
          <ol>
            {m.sources.map((s) => (
              <li key={s.chunk_id}>
                <strong>{s.title}</strong> <span className="muted">(score {s.score.toFixed(3)})</span>
                <div className="muted">{s.snippet}</div>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </li>
  );
}

/** What each tool call's status means to someone reading the conversation. */
const TOOL_OUTCOME: Record<ToolCall["status"], string> = {
  running: "running",
  done: "done",
  failed: "failed",
  declined: "declined by the visitor",
};

/** The actions an answer ran: name, outcome, and the (redacted) arguments and result. */
function ToolCalls({ calls }: { calls: ToolCall[] }) {
  return (
    <details className="sources tool-calls">
      <summary>
        {calls.length} action call{calls.length === 1 ? "" : "s"}: {calls.map((c) => `${c.name} (${TOOL_OUTCOME[c.status]})`).join(", ")}
      </summary>
      <ol>
        {calls.map((c) => (
          <li key={c.call_id} data-tool-call={c.call_id}>
            <strong>{c.name}</strong> <Badge value={c.status} />
            {c.error ? <div className="muted">{c.error}</div> : null}
            <pre className="small">{JSON.stringify({ arguments: c.arguments, ...(c.result !== undefined && { result: c.result }) }, null, 2)}</pre>
          </li>
        ))}
      </ol>
    </details>
  );
}

/** What a live action call is doing, as the people watching read it. */
const LIVE_TOOL_STATE: Record<LiveToolCall["status"], string> = {
  running: "running…",
  done: "done",
  failed: "failed",
  awaiting_confirmation: "waiting for the visitor to confirm",
};

/** An action the answer being written runs, as its socket events arrive. */
function LiveToolItem({ call }: { call: LiveToolCall }) {
  return (
    <li className="message message-tool" data-live-tool={call.call_id} data-status={call.status}>
      <div className="message-meta">Action · {LIVE_TOOL_STATE[call.status]}</div>
      <div className="message-body">
        <strong>{call.name}</strong> <Badge value={call.status === "awaiting_confirmation" ? "confirm" : call.status} />
        {call.summary ? <div className="muted small">{call.summary}</div> : null}
      </div>
    </li>
  );
}

/** The HubSpot contact the visitor was matched to, once the conversation was logged there. */
function CrmContactLine({ contact }: { contact: ConversationCrmContact["contact"] }) {
  if (!contact) return null;
  const who = contact.name ? `${contact.name} (${contact.email})` : contact.email;
  return (
    <p className="small crm-contact" data-crm-contact={contact.contact_id}>
      HubSpot contact:{" "}
      {contact.url ? (
        <a href={contact.url} target="_blank" rel="noreferrer noopener">
          {who}
        </a>
      ) : (
        who
      )}
    </p>
  );
}
