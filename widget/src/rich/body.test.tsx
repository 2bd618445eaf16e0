import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import en from "../i18n/en.json";
import { translator } from "../app/i18n";
import type { ChatMessage } from "../app/message-list";
import { testSession } from "../../test/test-support";
import { Body, citedNumbers } from "./body";

const t = translator(en);
let container: HTMLElement;
beforeEach(() => {
  container = document.createElement("div");
  document.body.append(container);
});
afterEach(() => container.remove());

function message(partial: Partial<ChatMessage>): ChatMessage {
  return { key: "m", id: "msg_1", clientId: null, seq: 1, sender: "assistant", content: "", status: "complete", sources: [], ...partial };
}

async function show(m: ChatMessage, session = testSession().session) {
  await act(() => render(<Body message={m} session={session} t={t} />, container));
  return container;
}

describe("a message body", () => {
  it("renders Markdown as elements and never as HTML", async () => {
    const el = await show(message({ content: "**Two** days.\n\n<script>alert(1)</script><img src=x onerror=alert(2)>" }));
    expect(el.querySelector("strong")!.textContent).toBe("Two");
    expect(el.querySelector("script, img")).toBeNull();
    expect(el.textContent).toContain("<script>alert(1)</script>");
  });

  it("opens links in a new tab without an opener or referrer, and refuses other schemes", async () => {
    const el = await show(message({ content: "[Help](https://example.com/help) [bad](javascript:alert(1))" }));
    const links = el.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute("href")).toBe("https://example.com/help");
    expect(links[0]!.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(links[0]!.getAttribute("target")).toBe("_blank");
    expect(el.textContent).toContain("[bad](javascript:alert(1))");
  });

  it("never shows one address while going to another: a link labelled with a URL shows the URL it opens", async () => {
    const el = await show(message({ content: "Log in at [https://bank.example](https://evil.example/login)." }));
    const link = el.querySelector("a")!;
    expect(link.getAttribute("href")).toBe("https://evil.example/login");
    expect(link.textContent).toBe("https://evil.example/login");
    expect(el.textContent).not.toContain("bank.example");
  });

  it("shows the destination host beside a link labelled with words, and keeps a label that names its own destination", async () => {
    const el = await show(
      message({
        content:
          "See [our returns page](https://xn--bnk-sna.example/returns), [www.shop.example](https://shop.example/a), https://shop.example/b and [write to us](mailto:help@shop.example).",
      }),
    );
    const links = [...el.querySelectorAll("a")];
    expect(links.map((a) => a.textContent)).toEqual([
      "our returns page (xn--bnk-sna.example)",
      "www.shop.example",
      "https://shop.example/b",
      "write to us (help@shop.example)",
    ]);
    for (const a of links) {
      expect(a.getAttribute("rel")).toBe("noopener noreferrer nofollow");
      expect(a.getAttribute("target")).toBe("_blank");
    }
  });

  it("shows the real destination of a link a visitor's message carries too", async () => {
    const el = await show(message({ sender: "visitor", content: "[paypal.com](https://evil.example)" }));
    expect(el.querySelector("a")!.textContent).toBe("https://evil.example/");
  });

  it("shows sources as chips that reveal their passage, and citations as buttons naming them", async () => {
    const sources = [
      { document_id: "d1", title: "Shipping", chunk_id: "c1", score: 0.9, snippet: "Standard delivery takes 2 to 4 days." },
      { document_id: "d3", title: "Express", chunk_id: "c3", score: 0.5, snippet: "Express takes 1 to 2 days." },
    ];
    const el = await show(message({ content: "Two to four days [1]. Express is faster [3].", sources }));
    const cites = [...el.querySelectorAll<HTMLButtonElement>(".ci")];
    expect(cites.map((c) => c.getAttribute("aria-label"))).toEqual(["Source 1: Shipping", "Source 2: Express"]);
    const chips = [...el.querySelectorAll<HTMLButtonElement>(".chip")];
    expect(el.querySelector(".src")!.getAttribute("aria-label")).toBe("Sources");
    expect(chips.map((c) => c.textContent)).toEqual(["1 Shipping", "2 Express"]);
    expect(chips[0]!.getAttribute("aria-expanded")).toBe("false");
    await act(() => chips[0]!.click());
    expect(el.querySelector(".snip")!.textContent).toBe("Standard delivery takes 2 to 4 days.");
    await act(() => cites[1]!.click());
    expect(el.querySelector(".snip")!.textContent).toBe("Express takes 1 to 2 days.");
    expect(citedNumbers("a [3] b [1] c [3]")).toEqual([1, 3]);
  });

  it("keeps visitor text plain, and shows this conversation's attachments as files", async () => {
    const { session, api } = testSession();
    await session.start();
    await session.conversationCall("GET", "/messages"); // creates the conversation
    api.routes.push((c) => (c.path.includes("/attachments/") ? { status: 200, body: "x" } : undefined));
    const url = "http://api.test/api/v1/conversations/conv_test0000000001/attachments/att_abcdefghij0123456789";
    const el = await show(message({ sender: "visitor", content: `**not bold**\n\n[invoice.pdf](${url})\n[other](https://example.com/x)` }), session);
    expect(el.querySelector("strong")).toBeNull();
    const file = el.querySelector(".att")!;
    expect(file.getAttribute("aria-label")).toBe("Attachment: invoice.pdf");
    expect(el.querySelector("a")!.getAttribute("href")).toBe("https://example.com/x");
  });
});
