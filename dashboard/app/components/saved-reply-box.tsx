/**
 * The agent's reply box with saved replies: typing `/` (at the start or after a space) opens a
 * list of the workspace's saved replies, narrowed by what follows the slash. Arrows move, Enter
 * inserts the chosen one (its variables filled for this conversation), Escape closes.
 *
 * The combobox pattern in its textbox form: a `<textarea>` may not take `role="combobox"`, so
 * it keeps its textbox role and points at the listbox with `aria-controls`,
 * `aria-activedescendant` and `aria-autocomplete="list"`; the listbox exists only while open.
 */
import { forwardRef, useId, useImperativeHandle, useRef, useState, type KeyboardEvent } from "react";
import type { SavedReply } from "../../../schema/api";
import { FieldNotes } from "./ui";

/** Replies shown at once; the search narrows the rest. */
const SHOWN = 8;

/** Where the `/query` being typed starts, and the query; null when the caret is not after one. */
export function slashQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(?:^|\s)\/([^\s/]{0,40})$/.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[1] ?? "";
  return { start: caret - query.length - 1, query };
}

/** The replies matching `query` in title or body, in the list's order (most used first). */
export function matchingReplies(replies: SavedReply[], query: string): SavedReply[] {
  const q = query.toLowerCase();
  return replies.filter((r) => r.title.toLowerCase().includes(q) || r.body.toLowerCase().includes(q)).slice(0, SHOWN);
}

interface Props {
  label: string;
  name: string;
  rows?: number;
  required?: boolean;
  error?: string | undefined;
  replies: SavedReply[];
  /** The reply's text for this conversation (variables filled, use counted); the raw body when it fails. */
  fill: (reply: SavedReply) => Promise<string>;
}

/** A reply textarea that inserts saved replies on `/`. */
export const SavedReplyBox = forwardRef<HTMLTextAreaElement | null, Props>(function SavedReplyBox({ label, name, rows = 3, required, error, replies, fill }, ref) {
  const id = useId();
  const listId = `${id}-replies`;
  const area = useRef<HTMLTextAreaElement>(null);
  useImperativeHandle<HTMLTextAreaElement | null, HTMLTextAreaElement | null>(ref, () => area.current, []);
  const [open, setOpen] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [inserting, setInserting] = useState(false);
  const options = open ? matchingReplies(replies, open.query) : [];

  const update = () => {
    const el = area.current;
    if (!el || replies.length === 0) return;
    const found = el.selectionStart === el.selectionEnd ? slashQueryAt(el.value, el.selectionStart) : null;
    setOpen(found);
    if (found?.query !== open?.query) setActive(0);
  };

  const choose = async (reply: SavedReply) => {
    const el = area.current;
    const at = open;
    if (!el || !at) return;
    setOpen(null);
    setInserting(true);
    let text: string;
    try {
      text = await fill(reply);
    } catch {
      text = reply.body;
    } finally {
      setInserting(false);
    }
    const end = at.start + 1 + at.query.length;
    el.value = `${el.value.slice(0, at.start)}${text}${el.value.slice(end)}`;
    const caret = at.start + text.length;
    el.focus();
    el.setSelectionRange(caret, caret);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!open) return;
    if (e.key === "Escape") {
      e.preventDefault();
      setOpen(null);
    } else if (e.key === "ArrowDown" && options.length > 0) {
      e.preventDefault();
      setActive((i) => (i + 1) % options.length);
    } else if (e.key === "ArrowUp" && options.length > 0) {
      e.preventDefault();
      setActive((i) => (i - 1 + options.length) % options.length);
    } else if (e.key === "Enter" && options.length > 0) {
      e.preventDefault();
      void choose(options[Math.min(active, options.length - 1)]!);
    } else if (e.key === "Tab") {
      setOpen(null);
    }
  };

  const optionId = (i: number) => `${id}-reply-${i}`;
  const hint = replies.length > 0 ? "Type / to insert a saved reply." : null;
  return (
    <div className="field saved-reply-box">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        ref={area}
        name={name}
        rows={rows}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hint ? `${id}-hint` : "", error ? `${id}-error` : ""].join(" ").trim() || undefined}
        aria-autocomplete={replies.length > 0 ? "list" : undefined}
        aria-haspopup={replies.length > 0 ? "listbox" : undefined}
        aria-controls={open ? listId : undefined}
        aria-activedescendant={open && options.length > 0 ? optionId(Math.min(active, options.length - 1)) : undefined}
        aria-busy={inserting || undefined}
        onInput={update}
        onClick={update}
        onKeyUp={(e) => {
          if (e.key !== "ArrowDown" && e.key !== "ArrowUp" && e.key !== "Enter" && e.key !== "Escape") update();
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(null)}
      />
      {open ? (
        options.length > 0 ? (
          <ul className="saved-reply-list" role="listbox" id={listId} aria-label="Saved replies">
            {options.map((r, i) => (
              <li
                key={r.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === Math.min(active, options.length - 1)}
                // Keeps the focus in the textarea, so the choice lands where the slash was.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => void choose(r)}
              >
                <strong>{r.title}</strong>
                <span className="muted small"> {r.body.length > 80 ? `${r.body.slice(0, 79)}…` : r.body}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small" role="status" id={listId}>
            No saved reply matches “{open.query}”.
          </p>
        )
      ) : null}
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
});
