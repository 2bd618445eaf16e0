import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AppHandle, HostBridge, MountApp } from "../shared/types";

type Api = ((method: string, ...args: unknown[]) => unknown) & Record<string, any>;
const w = window as unknown as { EdgeDesk?: Api };

let appended: HTMLScriptElement[];

/** Puts the embed tag on the page and runs widget.js, as a browser would. */
async function embed(attrs: Record<string, string> = {}) {
  const script = document.createElement("script");
  script.type = "text/x-not-run"; // the test imports the module itself; the DOM must not fetch it
  script.src = "https://edge.example.com/widget/v9.9.9/widget.js";
  Object.assign(script.dataset, { assistant: "ast_test00000000", key: "pk_live_test", ...attrs });
  document.body.append(script);
  vi.resetModules();
  await import("./index");
  const host = document.getElementById("edgedesk-widget")!;
  const launcher = host.shadowRoot!.querySelector<HTMLButtonElement>(".l")!;
  return { host, launcher, api: w.EdgeDesk! };
}

/** Plays the app's part: app.js and the strings arrive and register. */
async function arrive(mount: MountApp) {
  w.EdgeDesk!._a(mount);
  w.EdgeDesk!._l("en", { close: "Close chat" });
  for (const s of appended) s.onload?.(new Event("load"));
  await new Promise((r) => setTimeout(r, 0));
}

beforeEach(() => {
  appended = [];
  // Scripts the loader adds are captured instead of fetched.
  vi.spyOn(document.head, "append").mockImplementation((...nodes) => {
    appended.push(...(nodes as HTMLScriptElement[]));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = "";
  delete w.EdgeDesk;
  sessionStorage.clear();
});

describe("widget.js, the loader", () => {
  it("draws only a labelled launcher in a shadow root and loads nothing else yet", async () => {
    const { host, launcher } = await embed();
    expect(host.shadowRoot).toBeTruthy();
    expect(launcher.getAttribute("aria-label")).toBe("Chat with us");
    expect(launcher.getAttribute("aria-expanded")).toBe("false");
    expect(host.shadowRoot!.querySelector("style")!.textContent).toContain(":host{all:initial!important");
    expect(appended).toHaveLength(0);
  });

  it("fetches the app and the visitor's strings side by side when the launcher is approached", async () => {
    const { launcher } = await embed({ locale: "fr" });
    launcher.dispatchEvent(new Event("pointerenter"));
    expect(appended.map((s) => s.src)).toEqual([
      "https://edge.example.com/widget/v9.9.9/app.js",
      "https://edge.example.com/widget/v9.9.9/i18n/fr.js",
    ]);
    launcher.dispatchEvent(new Event("focus"));
    expect(appended).toHaveLength(2); // once
  });

  it("opens and closes from the launcher, mounting the app once and giving focus back on close", async () => {
    const { launcher, api } = await embed();
    const handle: AppHandle = { setOpen: vi.fn(), identify: vi.fn() };
    let bridge: HostBridge | undefined;
    const events: string[] = [];
    api.on("open", () => events.push("open"));
    api.on("close", () => events.push("close"));
    launcher.click();
    await arrive((b) => ((bridge = b), handle));
    expect(launcher.getAttribute("aria-expanded")).toBe("true");
    expect(handle.setOpen).toHaveBeenCalledWith(true, true);
    expect(bridge!.config).toMatchObject({ assistantId: "ast_test00000000", locale: "en" });
    expect(bridge!.strings).toEqual({ close: "Close chat" });
    bridge!.closed(); // Escape or the panel's close button
    expect(handle.setOpen).toHaveBeenLastCalledWith(false, false);
    expect(launcher.getAttribute("aria-expanded")).toBe("false");
    expect(launcher.getRootNode()).toBeInstanceOf(ShadowRoot);
    expect((launcher.getRootNode() as ShadowRoot).activeElement).toBe(launcher);
    expect(events).toEqual(["open", "close"]);
  });

  it("replays calls queued before it loaded, and hides the launcher for a custom button", async () => {
    const seen: string[] = [];
    const stub = Object.assign((...args: unknown[]) => (stub.q ??= []).push(args), { q: undefined as unknown[][] | undefined });
    w.EdgeDesk = stub as unknown as Api;
    stub("on", "open", () => seen.push("open"));
    stub("identify", { visitor_id: "customer-42" });
    stub("open");
    const { launcher, api } = await embed({ launcher: "hidden" });
    expect(launcher.hidden).toBe(true);
    expect(seen).toEqual(["open"]);
    const handle: AppHandle = { setOpen: vi.fn(), identify: vi.fn() };
    await arrive(() => handle);
    expect(handle.identify).toHaveBeenCalledWith({ visitor_id: "customer-42" });
    expect(typeof api.toggle).toBe("function");
    expect(api.version).toBe("test");
  });

  it("hands the app the script tag's data-user-* attributes and passes identify() proofs on", async () => {
    const { api } = await embed({ userId: "cust-1", userHash: "h1" });
    api.identify({ token: "t.k.n" });
    let bridge: HostBridge | undefined;
    const handle: AppHandle = { setOpen: vi.fn(), identify: vi.fn() };
    api.open();
    await arrive((b) => ((bridge = b), handle));
    expect(bridge!.data).toMatchObject({ userId: "cust-1", userHash: "h1" });
    expect(handle.identify).toHaveBeenCalledWith({ token: "t.k.n" });
    api.identify({ user_id: "cust-2", user_hash: "h2" });
    expect(handle.identify).toHaveBeenLastCalledWith({ user_id: "cust-2", user_hash: "h2" });
  });

  it("reopens on the next page of the visit without taking focus", async () => {
    sessionStorage.setItem("edgedesk:open:ast_test00000000", "1");
    const { launcher } = await embed();
    const handle: AppHandle = { setOpen: vi.fn(), identify: vi.fn() };
    await arrive(() => handle);
    expect(launcher.getAttribute("aria-expanded")).toBe("true");
    expect(handle.setOpen).toHaveBeenCalledWith(true, false);
  });

  it("refuses to start without its assistant and key", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const script = document.createElement("script");
    script.type = "text/x-not-run";
    script.src = "https://edge.example.com/widget/v9.9.9/widget.js";
    script.dataset.assistant = "ast_x";
    document.body.append(script);
    vi.resetModules();
    await import("./index");
    expect(document.getElementById("edgedesk-widget")).toBeNull();
    expect(error).toHaveBeenCalled();
  });
});
