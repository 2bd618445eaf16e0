/** Mounts the chat app into the loader's shadow root. */
import { effect, signal } from "@preact/signals";
import { render } from "preact";
import type { AppHandle, HostBridge, MountApp } from "../shared/types";
import { Panel } from "./components/panel";
import { widgetConfig } from "./config";
import { translator } from "./i18n";
import { initRich, loadRich } from "./rich";
import { ChatSession } from "./session";
import css from "./styles.css?inline";

function storage(name: "localStorage" | "sessionStorage"): Storage | null {
  try {
    return window[name];
  } catch {
    return null; // blocked by the browser's settings: the widget forgets instead of failing
  }
}

/** Renders the widget for `host` and returns the handle the loader drives it with. */
export const mount: MountApp = (host: HostBridge): AppHandle => {
  const { root, launcher } = host;
  const config = widgetConfig(host.config, host.data, host.scriptSrc, location.href);
  const t = translator(host.strings);
  const style = document.createElement("style");
  style.textContent = css;
  const container = document.createElement("div");
  const { theme } = config;
  container.className = `w${config.position === "bottom-left" ? " left" : ""}${config.launcherHidden ? " nol" : ""}`;
  container.dir = config.rtl ? "rtl" : "ltr";
  container.lang = config.locale;
  container.setAttribute("style", `--p:${theme.primary};--op:${theme.onPrimary};--ac:${theme.accent}`);
  root.append(style, container);

  const session = new ChatSession({
    apiBase: config.apiBase,
    assistantId: config.assistantId,
    publishableKey: config.publishableKey,
    local: storage("localStorage"),
    session: storage("sessionStorage"),
    events: window,
    isOnline: () => navigator.onLine,
    onEvent: host.emit,
    // The script tag's verified user; the loader passes `EdgeDesk.identify()` calls on after mounting.
    identity: { token: host.data.userToken, user_id: host.data.userId, user_hash: host.data.userHash },
  });
  void session.start();

  // A conversation under way needs rich.js (Markdown, sources, attachments, rating).
  initRich(host.load, root, config.locale);
  effect(() => {
    if (session.messages.value.length || session.conversationId.value || session.tools.value.length) loadRich().catch(() => {});
  });
  // Replies that arrive while the panel is closed: a badge on the launcher, and in its name.
  const badge = document.createElement("span");
  badge.className = "b";
  badge.setAttribute("aria-hidden", "true");
  const label = launcher.getAttribute("aria-label")!;
  let shown = 0;
  effect(() => {
    const n = session.unread.value;
    if (n === shown) return;
    shown = n;
    badge.textContent = String(n);
    if (n) launcher.append(badge);
    else badge.remove();
    launcher.setAttribute("aria-label", n ? `${label} (${n})` : label);
  });

  const open = signal<{ focus: boolean } | null>(null);
  const App = () =>
    open.value && <Panel config={config} session={session} t={t} focusOnOpen={open.value.focus} onClose={host.closed} />;
  render(<App />, container);

  return {
    setOpen(next, focus) {
      open.value = next ? { focus } : null;
      session.setVisible(next);
      if (next) session.reconnectNow();
    },
    identify: (who) => session.identify(who),
  };
};
