/** The chat panel: header, transcript, notices, satisfaction prompt, composer. */
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { WidgetConfig } from "../../shared/types";
import type { Translate } from "../i18n";
import { rich } from "../rich";
import type { ChatSession } from "../session";
import { Composer } from "./composer";
import { Message } from "./message";

/** Props of the panel. */
export interface PanelProps {
  config: WidgetConfig;
  session: ChatSession;
  t: Translate;
  /** Move focus to the input when the panel appears (user-initiated opens only). */
  focusOnOpen: boolean;
  onClose(): void;
}

/** How near the bottom (px) the transcript counts as "following" new messages. */
const FOLLOW_THRESHOLD_PX = 80;

/** The open widget. */
export function Panel({ config, session, t, focusOnOpen, onClose }: PanelProps) {
  const input = useRef<HTMLTextAreaElement>(null);
  const log = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const r = rich.value;
  const say = (words = "") => r?.spoken(words) ?? words;
  const messages = session.messages.value;
  const streaming = session.streaming.value;
  const status = session.status.value;
  const takeover = session.takeover.value;
  const typing = session.typing.value;
  const announcement = session.announcement.value;

  useEffect(() => {
    if (focusOnOpen) input.current?.focus();
  }, []);

  useLayoutEffect(() => {
    const el = log.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  });

  const banner = session.unavailable.value
    ? t("unavailable")
    : session.busy.value
      ? t("busy")
      : session.rateLimited.value === "later"
        ? t("answersPaused")
        : session.rateLimited.value === "wait"
          ? t("slowDown")
          : !session.online.value
        ? t("offline")
        : session.unreachable.value
          ? t("unreachable")
          : null;
  const agent = session.agentName.value || t("agent");
  const subtitle = takeover ? t("withAgent", { who: agent }) : status === "escalated" ? t("waiting") : null;
  const [kind, said] = announcement.split("\u0000");
  const heard =
    kind === "joined"
      ? `${t("joined", { who: agent })}${said ? ` ${agent}: ${say(said)}` : ""}`
      : kind === "agent" || kind === "assistant"
        ? `${kind === "agent" ? agent : t(kind)}: ${say(said)}`
        : "";

  return (
    <section
      class="p"
      role="dialog"
      aria-modal="false"
      aria-labelledby="ed-title"
      id="ed-panel"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <header class="hd">
        {config.avatarUrl && <img class="av" src={config.avatarUrl} alt="" />}
        <div class="ht">
          <h2 id="ed-title">{config.title ?? t("title")}</h2>
          {subtitle && <p class="st">{subtitle}</p>}
        </div>
        {r && session.conversationId.value && <r.Restart session={session} t={t} input={input} />}
        <button type="button" class="ib" aria-label={t("close")} title={t("close")} onClick={onClose}>
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18" />
          </svg>
        </button>
      </header>
      {banner && (
        <p class="bn" role="status">
          {banner}
        </p>
      )}
      {/* role=log for structure; announcements go through the polite region below instead, so
          nothing is read token by token (aria-live off here, aria-busy while an answer streams). */}
      <div
        class="log"
        role="log"
        aria-live="off"
        aria-label={t("transcript")}
        aria-busy={streaming ? "true" : "false"}
        tabIndex={0}
        ref={log}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_THRESHOLD_PX;
        }}
      >
        <div class="m ma">
          <span class="sr">{t("assistant")}: </span>
          <div class="bb">{config.greeting ?? t("greeting")}</div>
        </div>
        {messages.map((m) => (
          <Message key={m.key} message={m} session={session} t={t} />
        ))}
        {r && <r.Tools session={session} t={t} />}
        {typing && r && <r.Typing who={t(typing === "human_agent" ? "agent" : "assistant")} t={t} />}
        {status === "resolved" && <p class="note ctr">{t("resolved")}</p>}
      </div>
      {status === "resolved" && r && <r.Rating session={session} t={t} />}
      <Composer session={session} t={t} inputRef={input} />
      <div class="sr" role="status" aria-live="polite">
        {heard}
      </div>
    </section>
  );
}
