import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import en from "../i18n/en.json";
import ar from "../i18n/ar.json";
import type { HostBridge } from "../shared/types";
import { themeFor } from "../loader/theme";
import { mount } from "./mount";

function bridge(locale: string, strings: Record<string, string>, rtl = false): HostBridge {
  const hostEl = document.createElement("div");
  document.body.append(hostEl);
  const root = hostEl.attachShadow({ mode: "open" });
  const launcher = document.createElement("button");
  launcher.setAttribute("aria-label", "Chat with us");
  root.append(launcher);
  return {
    config: { assistantId: "ast_test00000000", publishableKey: "pk_live_test", position: "bottom-left", locale, rtl, openOnLoad: false, launcherHidden: false, theme: themeFor("#ffd400") },
    data: {} as DOMStringMap,
    scriptSrc: "https://edge.example.com/widget/v1/widget.js",
    root,
    launcher,
    strings: { ...strings },
    load: vi.fn(() => Promise.resolve()),
    emit: vi.fn(),
    closed: vi.fn(),
  };
}

afterEach(() => {
  document.body.innerHTML = "";
  localStorage.clear();
});

describe("mounting the app", () => {
  it("takes the verified user from the script tag and forgets another user's stored conversation", () => {
    const key = "edgedesk:ast_test00000000";
    const stored = { id: "conv_test0000000005", token: "t", expiresAt: new Date(Date.now() + 7_200_000).toISOString(), wsUrl: "ws://x/ws", visitorId: "user:cust-1", user: "cust-1" };
    localStorage.setItem(key, JSON.stringify({ visitorId: "v_device", conversation: stored }));
    const host = bridge("en", en);
    host.data = { userId: "cust-2", userHash: "h2" } as DOMStringMap;
    mount(host);
    expect(JSON.parse(localStorage.getItem(key)!)).toEqual({ visitorId: "v_device", conversation: null });
  });

  it("renders nothing until opened, then the panel with the theme's colours", async () => {
    const host = bridge("en", en);
    const app = mount(host);
    const container = host.root.querySelector(".w") as HTMLElement;
    expect(container.querySelector(".p")).toBeNull();
    expect(container.getAttribute("style")).toBe("--p:#ffd400;--op:#000000;--ac:#806a00");
    expect(container.className).toBe("w left");
    await act(() => app.setOpen(true, true));
    expect(container.querySelector(".p")).toBeTruthy();
    expect(host.root.activeElement?.id).toBe("ed-input");
    await act(() => app.setOpen(false, false));
    expect(container.querySelector(".p")).toBeNull();
  });

  it("lays Arabic out right to left, in Arabic", async () => {
    const host = bridge("ar", ar, true);
    const app = mount(host);
    await act(() => app.setOpen(true, false));
    const container = host.root.querySelector(".w") as HTMLElement;
    expect(container.dir).toBe("rtl");
    expect(container.lang).toBe("ar");
    expect(container.querySelector("h2")!.textContent).toBe("تحدث معنا");
    expect(container.querySelector("textarea")!.getAttribute("placeholder")).toBe("اكتب رسالة…");
  });
});
