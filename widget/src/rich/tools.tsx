/**
 * The actions an answer runs: a progress line per call, and a confirmation card when the
 * server asks the visitor before a call that changes something. The card takes focus and is
 * announced; its buttons send `confirm` once, then it shows the answer (or that it expired).
 * A stored answer shows the calls it ran as the same lines, so a reloaded page reads like the
 * live one.
 */
import { useEffect, useRef } from "preact/hooks";
import type { ToolCall } from "../../../schema/protocol";
import type { ToolEvent } from "../app/conversation-state";
import type { Translate } from "../app/i18n";
import type { ChatSession } from "../app/session";

/**
 * One action as the widget shows it: a progress line, or a card when the server asks the
 * visitor to confirm (`summary`). `answer` is the visitor's reply; null when the request
 * expired (its call moved on) before they gave one.
 */
export interface ToolProgress {
  id: string;
  name: string;
  status: "running" | "done" | "failed";
  summary?: string;
  answer?: boolean | null;
}

/** Folds the events of the answer under way into one entry per call, in the order they started. */
export function toolsOf(events: ToolEvent[]): ToolProgress[] {
  const list: ToolProgress[] = [];
  for (const e of events) {
    let c = list.find((x) => x.id === e.call_id);
    if (!c) list.push((c = { id: e.call_id, name: "", status: "running" }));
    if (e.type === "confirm") {
      if (c.answer === undefined) c.answer = e.approve;
    } else if (e.type === "confirm_request") {
      c.name = e.name;
      c.summary = e.summary;
    } else {
      if (c.summary !== undefined && c.answer === undefined) c.answer = null; // unanswered, and the call moved on: expired
      c.name = e.name;
      c.status = e.status;
    }
  }
  return list;
}

/** An action's name as words: `lookup_order` → "lookup order". */
export function toolLabel(name: string): string {
  return name.replace(/[_-]+/g, " ").trim();
}

/** The string saying where a call stands. */
const LINE_KEYS = { running: "toolRunning", done: "toolDone", failed: "toolFailed", declined: "toolDeclined" } as const;

/** One call's progress line. */
function Line({ name, status, t }: { name: string; status: ToolCall["status"]; t: Translate }) {
  return (
    <p class="tl" data-status={status}>
      {t(LINE_KEYS[status], { name: toolLabel(name) })}
    </p>
  );
}

/** The calls a stored answer ran (its `tool_calls`), in order. */
export function Ran({ calls, t }: { calls: ToolCall[]; t: Translate }) {
  return (
    <>
      {calls.map((c) => (
        <Line key={c.call_id} name={c.name} status={c.status} t={t} />
      ))}
    </>
  );
}

/** Every action of the answer under way, in the order they started. */
export function Tools({ session, t }: { session: ChatSession; t: Translate }) {
  const tools = toolsOf(session.tools.value);
  const asking = tools.find((c) => c.summary !== undefined && c.answer === undefined);
  return (
    <>
      {tools.map((c) =>
        c.summary === undefined ? (
          <Line key={c.id} name={c.name} status={c.status} t={t} />
        ) : (
          <Confirm key={c.id} call={c} session={session} t={t} />
        ),
      )}
      <div class="sr" role="status" aria-live="assertive">
        {asking ? t("confirmAsk", { summary: asking.summary! }) : ""}
      </div>
    </>
  );
}

/** The card asking the visitor to approve or decline one call. */
function Confirm({ call, session, t }: { call: ToolProgress; session: ChatSession; t: Translate }) {
  const card = useRef<HTMLDivElement>(null);
  const open = call.answer === undefined;
  useEffect(() => card.current?.focus(), []);
  const answer = (approve: boolean) => {
    session.confirm(call.id, approve);
    card.current?.focus(); // the buttons are disabled next: keep focus on the card
  };
  const id = `ed-cf-${call.id}`;
  return (
    <div class="cf" role="group" aria-labelledby={`${id}-t`} aria-describedby={`${id}-s`} tabIndex={-1} ref={card} data-answer={String(call.answer)}>
      <p class="cft" id={`${id}-t`}>
        {t("confirmTitle")}
      </p>
      <p id={`${id}-s`}>{call.summary}</p>
      {open ? (
        <div class="cfb">
          <button type="button" class="cfy" onClick={() => answer(true)}>
            {t("approve")}
          </button>
          <button type="button" onClick={() => answer(false)}>
            {t("decline")}
          </button>
        </div>
      ) : (
        <p class="note">{t(call.answer === true ? "approved" : call.answer === false ? "declined" : "expired")}</p>
      )}
    </div>
  );
}
