/** The message box: text, attachments, send, and "stop generating" while an answer streams. */
import { signal } from "@preact/signals";
import { useMemo, useRef } from "preact/hooks";
import { MAX_MESSAGE_CHARS } from "../../../../schema/protocol-limits";
import { UPLOAD_TYPES } from "../../shared/uploads";
import type { Attachment } from "../conversation-state";
import type { Translate } from "../i18n";
import { loadRich, rich } from "../rich";
import type { ChatSession } from "../session";

/** Props of the composer. */
export interface ComposerProps {
  session: ChatSession;
  t: Translate;
  inputRef: { current: HTMLTextAreaElement | null };
}

const MAX_INPUT_HEIGHT_PX = 120;

/** Text area with Enter to send (Shift+Enter for a new line), a file picker and send/stop. */
export function Composer({ session, t, inputRef }: ComposerProps) {
  const state = useMemo(() => ({ files: signal<Attachment[]>([]), busy: signal<string[]>([]), error: signal("") }), []);
  const picker = useRef<HTMLInputElement>(null);
  const Files = rich.value?.Files;

  const submit = (e?: Event) => {
    e?.preventDefault();
    const input = inputRef.current!;
    if (!input.value.trim() && !state.files.value.length) return;
    session.send(input.value, state.files.value);
    input.value = "";
    input.style.height = "";
    state.files.value = [];
    state.error.value = "";
  };

  const pick = () => {
    const chosen = [...(picker.current!.files ?? [])];
    picker.current!.value = "";
    // The upload code comes with rich.js, fetched while the visitor was choosing.
    loadRich().then(
      (r) => r.attach(session, chosen, state, t).then(() => inputRef.current?.focus()),
      () => (state.error.value = t("uploadFailed", { name: chosen[0]?.name ?? "" })),
    );
  };

  return (
    <form class="cp" onSubmit={submit}>
      {Files && <Files state={state} t={t} />}
      {!Files && state.error.value && (
        <p class="err" role="alert">
          {state.error.value}
        </p>
      )}
      <div class="row">
        <button type="button" class="ib" aria-label={t("attach")} onClick={() => picker.current?.click()}>
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M20 11l-8 8a5 5 0 0 1-7-7l8-8a3 3 0 0 1 5 5l-8 8a1.5 1.5 0 0 1-2-2l7-7" />
          </svg>
        </button>
        <input ref={picker} type="file" hidden multiple accept={UPLOAD_TYPES.join(",")} aria-label={t("attach")} onChange={pick} />
        <label class="sr" for="ed-input">
          {t("inputLabel")}
        </label>
        <textarea
          id="ed-input"
          ref={inputRef}
          rows={1}
          maxLength={MAX_MESSAGE_CHARS}
          placeholder={t("placeholder")}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) submit(e);
          }}
          onInput={(e) => {
            const el = e.currentTarget;
            el.style.height = "";
            el.style.height = `${Math.min(el.scrollHeight, MAX_INPUT_HEIGHT_PX)}px`;
            session.typingNow();
          }}
        />
        {session.streaming.value ? (
          <button type="button" class="ib send" aria-label={t("stop")} onClick={() => session.stop()}>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <rect x="5" y="5" width="14" height="14" rx="2" fill="currentColor" />
            </svg>
          </button>
        ) : (
          <button type="submit" class="ib send" aria-label={t("send")}>
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" class="flip">
              <path fill="currentColor" d="M3 20.5l18-8.5L3 3.5v6.6l12 1.9-12 1.9z" />
            </svg>
          </button>
        )}
      </div>
    </form>
  );
}
