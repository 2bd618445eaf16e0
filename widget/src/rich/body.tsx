/**
 * A message's body rendered from its Markdown: text nodes and elements, never HTML. Answers get
 * their citations as numbered buttons and their sources as chips; attachments of the
 * conversation show as image thumbnails or downloadable files.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Source } from "../../../schema/protocol";
import type { Translate } from "../app/i18n";
import type { ChatMessage } from "../app/message-list";
import type { ChatSession } from "../app/session";
import { linkDisplay } from "./link-display";
import { parseMarkdown, type Block, type Inline } from "./markdown";
import { Ran } from "./tools";

/** Props of a message body. */
export interface BodyProps {
  message: ChatMessage;
  session: ChatSession;
  t: Translate;
}

interface Context {
  session: ChatSession;
  t: Translate;
  sources: Source[];
  cited: number[];
  openSource(index: number): void;
}

const IMAGE_NAME = /\.(png|jpe?g|gif|webp)$/i;
const ATTACHMENT_ID = /^att_[0-9A-Za-z]{8,64}$/;

/** True when `href` is a file attached to this conversation (served only with its token). */
export function isAttachment(session: ChatSession, href: string): boolean {
  const access = session.attachmentAccess();
  return !!access && href.startsWith(access.prefix) && ATTACHMENT_ID.test(href.slice(access.prefix.length));
}

/** An attachment's bytes, fetched with the conversation token. */
async function fetchAttachment(session: ChatSession, href: string): Promise<Blob> {
  const res = await fetch(href, { headers: { Authorization: `Bearer ${session.attachmentAccess()!.token}` } });
  if (!res.ok) throw new Error(`attachment: ${res.status}`);
  return res.blob();
}

/** The numbers an answer cites, ascending: the API lists the cited sources in that order. */
export function citedNumbers(content: string): number[] {
  return [...new Set([...content.matchAll(/\[(\d{1,2})\]/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

/** An attachment of this conversation: images show inline, any file downloads on activation. */
function Attachment({ href, name, ctx }: { href: string; name: string; ctx: Context }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    if (!IMAGE_NAME.test(name)) return;
    let url: string | undefined;
    let live = true;
    fetchAttachment(ctx.session, href).then(
      (blob) => live && setSrc((url = URL.createObjectURL(blob))),
      () => {},
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [href]);
  const download = () =>
    fetchAttachment(ctx.session, href).then((blob) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    });
  return (
    <button type="button" class="att" onClick={download} aria-label={ctx.t("attachment", { name })}>
      {src ? <img src={src} alt="" /> : <span aria-hidden="true">📄</span>}
      <span>{name}</span>
    </button>
  );
}

/** The words of inline content, as a reader sees them. */
function plainText(items: Inline[]): string {
  return items
    .map((c) => (typeof c === "string" ? c : c.t === "code" ? c.text : c.t === "b" || c.t === "i" || c.t === "a" ? plainText(c.c) : ""))
    .join("");
}

function inline(items: Inline[], ctx: Context): ComponentChildren[] {
  return items.map((item) => {
    if (typeof item === "string") return item;
    switch (item.t) {
      case "br":
        return <br />;
      case "code":
        return <code>{item.text}</code>;
      case "b":
        return <strong>{inline(item.c, ctx)}</strong>;
      case "i":
        return <em>{inline(item.c, ctx)}</em>;
      case "a": {
        const text = plainText(item.c);
        if (isAttachment(ctx.session, item.href)) return <Attachment href={item.href} name={text} ctx={ctx} />;
        // The real destination is always visible: beside a label of words, instead of a label naming elsewhere.
        const shown = linkDisplay(text, item.href);
        return (
          <a href={item.href} target="_blank" rel="noopener noreferrer nofollow" title={shown.fullDestination}>
            {shown.show === "instead" ? shown.fullDestination : inline(item.c, ctx)}
            {shown.show === "beside" ? <span class="lh"> ({shown.destination})</span> : null}
          </a>
        );
      }
      case "cite": {
        const index = ctx.cited.indexOf(item.n);
        const source = ctx.sources[index];
        return source ? (
          <button type="button" class="ci" aria-label={ctx.t("source", { n: index + 1, title: source.title })} onClick={() => ctx.openSource(index)}>
            {index + 1}
          </button>
        ) : (
          `[${item.n}]`
        );
      }
    }
  });
}

function blocks(list: Block[], ctx: Context): ComponentChildren[] {
  return list.map((b) => {
    switch (b.t) {
      case "p":
        return <p>{inline(b.c, ctx)}</p>;
      case "h":
        return (
          <p>
            <strong>{inline(b.c, ctx)}</strong>
          </p>
        );
      case "q":
        return <blockquote>{inline(b.c, ctx)}</blockquote>;
      case "pre":
        return (
          <pre>
            <code>{b.text}</code>
          </pre>
        );
      default: {
        const List = b.t;
        return (
          <List>
            {b.items.map((item) => (
              <li>{inline(item, ctx)}</li>
            ))}
          </List>
        );
      }
    }
  });
}

/** The actions an answer ran, the bubble and, under answers, the sources as chips that show their passage. */
export function Body({ message: m, session, t }: BodyProps) {
  const [open, setOpen] = useState<number | null>(null);
  const list = useRef<HTMLUListElement>(null);
  const plain = m.sender === "visitor";
  const tree = useMemo(() => parseMarkdown(m.content, { plain }), [m.content, plain]);
  const ctx: Context = {
    session,
    t,
    sources: m.sources,
    cited: useMemo(() => citedNumbers(m.content), [m.content]),
    openSource: (i) => {
      setOpen(i);
      list.current?.querySelectorAll("button")[i]?.focus();
    },
  };
  return (
    <>
      {m.tool_calls && <Ran calls={m.tool_calls} t={t} />}
      <div class="bb">{blocks(tree, ctx)}</div>
      {m.sources.length > 0 && (
        <ul class="src" aria-label={t("sources")} ref={list}>
          {m.sources.map((s, i) => (
            <li>
              <button type="button" class="chip" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>
                <span aria-hidden="true">{i + 1}</span> {s.title}
              </button>
              {open === i && <p class="snip">{s.snippet}</p>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
