/** Small pieces of a conversation under way: typing dots, "new conversation", spoken text. */
import type { Translate } from "../app/i18n";
import type { ChatSession } from "../app/session";

/** "… is typing" for screen readers, three dots for the eyes (static with reduced motion). */
export function Typing({ who, t }: { who: string; t: Translate }) {
  return (
    <div class="ty">
      <span class="sr">{t("typing", { who })}</span>
      <i />
      <i />
      <i />
    </div>
  );
}

/** The header button that leaves this conversation; the next message starts a new one. */
export function Restart({ session, t, input }: { session: ChatSession; t: Translate; input: { current: HTMLTextAreaElement | null } }) {
  return (
    <button
      type="button"
      class="ib"
      aria-label={t("newConversation")}
      title={t("newConversation")}
      onClick={() => {
        session.newConversation();
        input.current?.focus();
      }}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M12 5v14M5 12h14" />
      </svg>
    </button>
  );
}

/** Markdown reduced to the words a screen reader should say. */
export function spoken(content: string): string {
  return content
    .replace(/\s*\[\d{1,2}\]/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`#>]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
