import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it, vi } from "vitest";
import en from "../../i18n/en.json";
import { translator } from "../i18n";
import { FakeSocket, panelPage, settle, testSession, TEST_CONFIG, view } from "../../../test/test-support";
import { Panel } from "./panel";

const t = translator(en);
const page = panelPage();

async function open(focusOnOpen = true) {
  const t0 = testSession();
  await t0.session.start();
  const onClose = vi.fn();
  await act(() => render(<Panel config={TEST_CONFIG} session={t0.session} t={t} focusOnOpen={focusOnOpen} onClose={onClose} />, page.container));
  const $ = <T extends Element = HTMLElement>(sel: string) => page.container.querySelector<T & HTMLElement>(sel)!;
  return { ...t0, onClose, $ };
}

async function type(input: HTMLTextAreaElement, text: string, key = "Enter", shiftKey = false) {
  input.value = text;
  await act(() => {
    input.dispatchEvent(new KeyboardEvent("keydown", { key, shiftKey, bubbles: true, cancelable: true }));
  });
}

describe("the panel", () => {
  it("is a labelled dialog with a transcript log, a labelled input and labelled buttons", async () => {
    const { $ } = await open();
    expect($("section").getAttribute("role")).toBe("dialog");
    expect($("#ed-title").textContent).toBe("Chat with us");
    const log = $("[role=log]");
    expect(log.getAttribute("aria-label")).toBe("Conversation");
    expect(log.getAttribute("aria-live")).toBe("off");
    expect(log.tabIndex).toBe(0); // scrollable, so reachable by keyboard
    expect($("label[for=ed-input]").textContent).toBe("Message");
    for (const button of page.container.querySelectorAll("button")) expect(button.getAttribute("aria-label") || button.textContent).toBeTruthy();
    expect(log.textContent).toContain("How can we help");
  });

  it("moves focus to the input when the visitor opens it, and leaves focus alone when the page does", async () => {
    const { $ } = await open(true);
    expect(document.activeElement).toBe($("#ed-input"));
    render(null, page.container);
    (document.activeElement as HTMLElement | null)?.blur();
    await open(false);
    expect(document.activeElement).not.toBe(page.container.querySelector("#ed-input"));
  });

  it("sends on Enter, keeps Shift+Enter for a new line, and shows the message as sending", async () => {
    const { $, session } = await open();
    const input = $<HTMLTextAreaElement>("#ed-input");
    await type(input, "Line one", "Enter", true);
    expect(session.messages.value).toHaveLength(0);
    await type(input, "How long does delivery take?");
    expect(input.value).toBe("");
    expect(session.messages.value[0]).toMatchObject({ content: "How long does delivery take?", status: "sending" });
    await act(() => settle());
    expect(page.container.querySelector(".m.mv")!.textContent).toContain("How long does delivery take?");
  });

  it("is busy while an answer streams, offers to stop it, and announces the finished answer once", async () => {
    const { $, session } = await open();
    session.send("How long does delivery take?");
    await act(() => settle());
    const ws = FakeSocket.last();
    await act(() => ws.accept());
    await act(() => ws.emit({ type: "delta", message_id: "msg_a", delta: "Two to four ", seq: 0 }));
    expect($("[role=log]").getAttribute("aria-busy")).toBe("true");
    expect($("[aria-live=polite]").textContent).toBe("");
    const stop = $("[aria-label='Stop generating']");
    await act(() => stop.click());
    expect(ws.frames("stop")).toHaveLength(1);
    await act(async () => {
      ws.emit({ type: "response", message: view({ id: "msg_a", seq: 2, sender_type: "assistant", content: "Two to four **days** [1].", sources: [{ document_id: "d", title: "Shipping", chunk_id: "c", score: 1, snippet: "2 to 4 days" }] }) });
      await settle(2);
    });
    expect($("[role=log]").getAttribute("aria-busy")).toBe("false");
    expect($("[aria-live=polite]").textContent).toBe("Assistant: Two to four days.");
    expect($("[aria-label=Send]")).toBeTruthy();
  });

  it("shows a failed send with a retry button that sends it again", async () => {
    const { $, session } = await open();
    session.send("Hello");
    await act(() => settle());
    const ws = FakeSocket.last();
    await act(() => ws.accept());
    await act(() => ws.emit({ type: "error", code: "invalid_request", message: "too long" }));
    expect($(".m.mv").textContent).toContain("Not sent.");
    await act(() => $(".lnk").click());
    expect(ws.frames("message")).toHaveLength(2);
    expect($(".m.mv").getAttribute("data-status")).toBe("sending");
  });

  it("says when the visitor is offline, when the service is unreachable, and when chat is unavailable here", async () => {
    const { $, session } = await open();
    await act(() => {
      session.online.value = false;
    });
    expect($(".bn").textContent).toMatch(/offline/);
    await act(() => {
      session.online.value = true;
      session.unreachable.value = true;
    });
    expect($(".bn").textContent).toMatch(/can't reach/);
    await act(() => {
      session.unavailable.value = true;
    });
    expect($(".bn").textContent).toMatch(/not available/);
    expect($(".bn").getAttribute("role")).toBe("status");
  });

  it("says politely when messages come too quickly, and when answers are paused for a while", async () => {
    const { $, session } = await open();
    await act(() => {
      session.rateLimited.value = "wait";
    });
    expect($(".bn").textContent).toBe(en.slowDown);
    expect($(".bn").getAttribute("role")).toBe("status");
    await act(() => {
      session.rateLimited.value = "later";
    });
    expect($(".bn").textContent).toBe(en.answersPaused);
    await act(() => {
      session.rateLimited.value = null;
    });
    expect(page.container.querySelector(".bn")).toBeNull();
  });

  it("shows the typing indicator, the hand-off to a person, and the rating once resolved", async () => {
    const { $, session, api } = await open();
    session.send("I want a human");
    await act(() => settle());
    const ws = FakeSocket.last();
    await act(() => ws.accept());
    await act(() => ws.emit({ type: "typing", sender_type: "human_agent" }));
    expect($(".ty").textContent).toBe("Support agent is typing…");
    await act(() => ws.emit({ type: "status", status: "escalated", human_takeover: false }));
    expect($(".st").textContent).toMatch(/asked a person/);
    await act(() => ws.emit({ type: "agent_message", message: view({ id: "msg_h", seq: 3, sender_type: "human_agent", content: "Hi, Sam here." }) }));
    await act(() => ws.emit({ type: "status", status: "escalated", human_takeover: true }));
    expect($(".st").textContent).toBe("You are chatting with Support agent.");
    expect($(".m.mh").textContent).toContain("Support agent");
    await act(() => ws.emit({ type: "status", status: "resolved", human_takeover: false }));
    const stars = page.container.querySelectorAll<HTMLButtonElement>(".star");
    expect([...stars].map((s) => s.getAttribute("aria-label"))).toEqual(["1 out of 5", "2 out of 5", "3 out of 5", "4 out of 5", "5 out of 5"]);
    await act(async () => {
      stars[3]!.click();
      await settle();
    });
    expect(api.calls.at(-1)).toMatchObject({ path: "/api/v1/conversations/conv_test0000000001/satisfaction", body: { score: 4 } });
    expect($(".rate").textContent).toBe("Thank you for your feedback!");
  });

  it("closes on Escape", async () => {
    const { $, onClose } = await open();
    await act(() => {
      $("#ed-input").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    });
    expect(onClose).toHaveBeenCalledOnce();
  });
});
