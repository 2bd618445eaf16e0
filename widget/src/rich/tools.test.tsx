import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import en from "../i18n/en.json";
import { FakeApi, FakeSocket, MemoryStorage, panelPage, settle, testSession, TEST_CONFIG, view } from "../../test/test-support";
import { Panel } from "../app/components/panel";
import { translator } from "../app/i18n";
import type { ToolCall } from "../../../schema/protocol";
import { toolsOf } from "./tools";

const t = translator(en);
const page = panelPage();

/** The open panel of a conversation with one question sent, its socket open. */
async function asking() {
  const t0 = testSession();
  await t0.session.start();
  await act(() => render(<Panel config={TEST_CONFIG} session={t0.session} t={t} focusOnOpen onClose={() => {}} />, page.container));
  t0.session.send("Where is my order 1042?");
  await act(() => settle());
  const ws = FakeSocket.last();
  await act(() => ws.accept());
  const $ = (sel: string) => page.container.querySelector<HTMLElement>(sel);
  return { ...t0, ws, $ };
}

describe("tool progress", () => {
  it("shows a line per call, running then done or failed, and clears them when the answer arrives", async () => {
    const { ws, $, session } = await asking();
    await act(() => ws.emit({ type: "tool", call_id: "call_1", name: "lookup_order", status: "running" }));
    expect($(".tl")!.textContent).toBe("Working on it: lookup order…");
    await act(() => ws.emit({ type: "tool", call_id: "call_2", name: "track-parcel", status: "running" }));
    await act(() => ws.emit({ type: "tool", call_id: "call_1", name: "lookup_order", status: "done" }));
    await act(() => ws.emit({ type: "tool", call_id: "call_2", name: "track-parcel", status: "failed" }));
    const lines = [...page.container.querySelectorAll(".tl")].map((l) => [l.textContent, l.getAttribute("data-status")]);
    expect(lines).toEqual([
      ["Done: lookup order", "done"],
      ["Couldn't complete: track parcel", "failed"],
    ]);
    await act(async () => {
      ws.emit({ type: "response", message: view({ id: "msg_a", seq: 2, sender_type: "assistant", content: "It ships tomorrow." }) });
      await settle(2);
    });
    expect(page.container.querySelectorAll(".tl")).toHaveLength(0);
    expect(session.tools.value).toEqual([]);
  });
});

describe("the calls of a stored answer", () => {
  const ran: ToolCall[] = [
    { call_id: "call_1", action_id: "act_lookup000000000000", name: "lookup_order", status: "done", arguments: { order_number: "1042" }, result: { status: "shipped" } },
    { call_id: "call_2", action_id: "act_track0000000000000", name: "track-parcel", status: "failed", arguments: {}, error: "upstream answered 503" },
    { call_id: "call_3", action_id: "act_cancel000000000000", name: "cancel_order", status: "declined", arguments: {} },
  ];
  const lines = () => [...page.container.querySelectorAll(".ma .tl")].map((l) => [l.textContent, l.getAttribute("data-status")]);

  it("show as the answer's progress lines when the conversation is restored from history", async () => {
    const local = new MemoryStorage();
    local.setItem(
      "edgedesk:ast_test00000000",
      JSON.stringify({
        visitorId: "v_known",
        conversation: { id: "conv_test0000000009", token: "token-9", expiresAt: new Date(Date.now() + 3_600_000).toISOString(), wsUrl: "ws://api.test/c9/ws", visitorId: "v_known" },
      }),
    );
    const api = new FakeApi();
    api.history = [
      view({ id: "msg_1", seq: 1, sender_type: "visitor", content: "Where is order 1042?" }),
      view({ id: "msg_2", seq: 2, sender_type: "assistant", content: "It has shipped.", tool_calls: ran }),
      view({ id: "msg_3", seq: 3, sender_type: "assistant", content: "Anything else?" }),
    ];
    const { session } = testSession({ api, local });
    await session.start();
    await act(() => render(<Panel config={TEST_CONFIG} session={session} t={t} focusOnOpen onClose={() => {}} />, page.container));
    expect(lines()).toEqual([
      ["Done: lookup order", "done"],
      ["Couldn't complete: track parcel", "failed"],
      ["Declined: cancel order", "declined"],
    ]);
    const answers = [...page.container.querySelectorAll(".ma")];
    expect(answers.at(-2)!.querySelectorAll(".tl")).toHaveLength(3); // under the answer that ran them, above its words
    expect(answers.at(-1)!.querySelectorAll(".tl")).toHaveLength(0);
  });

  it("stay under a live answer once it arrives, as a reload shows them", async () => {
    const { ws } = await asking();
    await act(() => ws.emit({ type: "tool", call_id: "call_1", name: "lookup_order", status: "running" }));
    await act(() => ws.emit({ type: "tool", call_id: "call_1", name: "lookup_order", status: "done" }));
    await act(async () => {
      ws.emit({ type: "response", message: view({ id: "msg_a", seq: 2, sender_type: "assistant", content: "It ships tomorrow.", tool_calls: [ran[0]!] }) });
      await settle(2);
    });
    expect(page.container.querySelectorAll(".tl")).toHaveLength(1);
    expect(lines()).toEqual([["Done: lookup order", "done"]]);
  });
});

describe("the confirmation card", () => {
  it("is a labelled group that takes focus and is announced, and sends the visitor's approval once", async () => {
    const { ws, $ } = await asking();
    await act(() => ws.emit({ type: "confirm_request", call_id: "call_9", name: "cancel_order", summary: "Cancel order 1042 (2 items, $35.00)" }));
    const card = $(".cf")!;
    expect(card.getAttribute("role")).toBe("group");
    expect(page.container.querySelector(`#${card.getAttribute("aria-labelledby")}`)!.textContent).toBe("Please confirm");
    expect(page.container.querySelector(`#${card.getAttribute("aria-describedby")}`)!.textContent).toBe("Cancel order 1042 (2 items, $35.00)");
    expect(document.activeElement).toBe(card);
    expect($("[aria-live=assertive]")!.textContent).toBe("Please confirm: Cancel order 1042 (2 items, $35.00)");
    const approve = [...card.querySelectorAll("button")].find((b) => b.textContent === "Approve")!;
    await act(() => approve.click());
    expect(ws.frames("confirm")).toEqual([{ type: "confirm", call_id: "call_9", approve: true }]);
    expect(card.querySelectorAll("button")).toHaveLength(0); // answered: no second answer
    expect(card.textContent).toContain("Approved.");
    expect(document.activeElement).toBe(card);
    expect($("[aria-live=assertive]")!.textContent).toBe("");
    await act(() => ws.emit({ type: "tool", call_id: "call_9", name: "cancel_order", status: "done" }));
    expect(card.textContent).toContain("Approved."); // the call going on does not expire an answered card
  });

  it("sends a decline", async () => {
    const { ws, $ } = await asking();
    await act(() => ws.emit({ type: "confirm_request", call_id: "call_7", name: "refund", summary: "Refund $12.00" }));
    const decline = [...$(".cf")!.querySelectorAll("button")].find((b) => b.textContent === "Decline")!;
    await act(() => decline.click());
    expect(ws.frames("confirm")).toEqual([{ type: "confirm", call_id: "call_7", approve: false }]);
    expect($(".cf")!.textContent).toContain("Declined.");
  });

  it("expires, unanswered, on a later tool event for its call", async () => {
    const { ws, $ } = await asking();
    await act(() => ws.emit({ type: "confirm_request", call_id: "call_5", name: "refund", summary: "Refund $12.00" }));
    await act(() => ws.emit({ type: "tool", call_id: "call_5", name: "refund", status: "failed" }));
    expect($(".cf")!.querySelectorAll("button")).toHaveLength(0);
    expect($(".cf")!.textContent).toContain("This request is no longer needed.");
    expect(ws.frames("confirm")).toHaveLength(0);
  });
});

describe("toolsOf", () => {
  it("keeps the first answer and ignores answers to calls after they expired", () => {
    expect(
      toolsOf([
        { type: "confirm_request", call_id: "a", name: "refund", summary: "Refund" },
        { type: "tool", call_id: "a", name: "refund", status: "running" },
        { type: "confirm", call_id: "a", approve: true },
      ]),
    ).toEqual([{ id: "a", name: "refund", status: "running", summary: "Refund", answer: null }]);
  });
});
