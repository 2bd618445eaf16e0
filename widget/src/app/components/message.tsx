/** One message of the transcript: who wrote it, its body, its delivery state. */
import type { Translate } from "../i18n";
import { rich } from "../rich";
import type { ChatMessage } from "../message-list";
import type { ChatSession } from "../session";

/** Props of a message. */
export interface MessageProps {
  message: ChatMessage;
  session: ChatSession;
  t: Translate;
}

/** A message bubble, with retry on failed sends; Markdown once `rich.js` is there. */
export function Message({ message: m, session, t }: MessageProps) {
  const visitor = m.sender === "visitor";
  const agent = m.sender === "human_agent";
  const who = (agent && m.name) || t(visitor ? "you" : agent ? "agent" : "assistant");
  const Body = rich.value?.Body;
  const note =
    m.status === "sending"
      ? t(session.link.value === "open" && session.online.value ? "sending" : "queued")
      : m.status === "stopped"
        ? t("stopped")
        : m.status === "failed" && !visitor
          ? t("interrupted")
          : null;
  return (
    <div class={`m ${visitor ? "mv" : agent ? "mh" : "ma"}`} data-status={m.status}>
      {agent ? <p class="who">{who}</p> : <span class="sr">{who}: </span>}
      {Body ? (
        <Body message={m} session={session} t={t} />
      ) : (
        <div class="bb pre">{m.content || <span class="sr">…</span>}</div>
      )}
      {note && <p class="note">{note}</p>}
      {m.status === "failed" && visitor && (
        <p class="note err">
          {t("failed")}{" "}
          <button type="button" class="lnk" onClick={() => session.retry(m.key)}>
            {t("retry")}
          </button>
        </p>
      )}
    </div>
  );
}
