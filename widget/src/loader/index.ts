/**
 * `widget.js`, the one script a site embeds:
 *
 *   <script src="https://…/widget/v0.1.0/widget.js" data-assistant="ast_…" data-key="pk_live_…" async></script>
 *
 * It draws only the launcher, in a shadow root, and exposes `window.EdgeDesk`. The chat app
 * (`app.js`, Preact) and the visitor's UI strings (`i18n/<locale>.js`) are fetched when the
 * visitor reaches for the launcher (hover, focus, touch) or the widget opens, so a page where
 * nobody chats pays for this file alone.
 */
import type { AppHandle, MountApp, VisitorIdentity, WidgetEvent } from "../shared/types";
import { readConfig } from "./config";

declare const __WIDGET_VERSION__: string;

type Listener = (detail?: unknown) => void;
type Api = ((method: string, ...args: unknown[]) => unknown) & Record<string, unknown>;

/**
 * The launcher's name per locale (the app's strings are not loaded yet when it shows). It does not
 * change when the panel opens: `aria-expanded` says that.
 */
const LABELS: Record<string, string> = {
  en: "Chat with us",
  es: "Habla con nosotros",
  fr: "Discutons",
  de: "Schreiben Sie uns",
  pt: "Fale conosco",
  ar: "تحدث معنا",
  he: "דברו איתנו",
};
const OPEN_STATE_KEY = "edgedesk:open:"; // sessionStorage: the panel reopens on the next page of the visit
const icon = (d: string) => `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${d}"/></svg>`;
const CHAT_ICON = icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
const CLOSE_ICON = icon("M6 6l12 12M18 6L6 18");

const win = window as unknown as { EdgeDesk?: Api & { q?: ArrayLike<unknown>[] } };

function boot(script: HTMLScriptElement): void {
  const config = readConfig(script.dataset, navigator.languages);
  if (!config) return console.error("EdgeDesk: data-assistant and data-key are required");
  const label = script.dataset.title?.trim() || LABELS[config.locale]!;
  const listeners: Record<string, Set<Listener>> = {};
  const emit = (event: WidgetEvent, detail?: unknown) => listeners[event]?.forEach((fn) => fn(detail));
  let app: AppHandle | null = null;
  let loading: Promise<AppHandle> | null = null;
  let open = false;
  let identity: VisitorIdentity | null = null;
  let returnFocus: HTMLElement | null = null;
  const openKey = OPEN_STATE_KEY + config.assistantId;
  const remember = (on: boolean) => {
    try {
      if (on) sessionStorage.setItem(openKey, "1");
      else sessionStorage.removeItem(openKey);
    } catch {
      // storage blocked: the panel just does not reopen on the next page
    }
  };

  const host = document.createElement("div");
  host.id = "edgedesk-widget";
  const root = host.attachShadow({ mode: "open" });
  const { primary, onPrimary } = config.theme;
  const side = config.position === "bottom-left" ? "left" : "right";
  // `all: initial !important` on :host beats any page rule (even `* { all: unset !important }`):
  // for !important declarations the shadow tree's own rule wins. Sizes are px, never rem, so the
  // page's root font size cannot blow the widget up; browser zoom still scales it.
  root.innerHTML =
    `<style>:host{all:initial!important;display:block!important}` +
    `.l{all:unset;box-sizing:border-box;position:fixed;bottom:20px;${side}:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;display:flex;align-items:center;justify-content:center;cursor:pointer;background:${primary};color:${onPrimary};box-shadow:0 4px 14px #0005;border:2px solid ${onPrimary}}` +
    `.l svg{width:28px;height:28px;fill:currentColor;stroke:currentColor;stroke-width:2.4;stroke-linecap:round}.l:focus-visible{outline:3px solid ${onPrimary};outline-offset:-8px}.l[hidden]{display:none}` +
    `@media (max-width:480px),(max-height:560px){:host([data-open]) .l{display:none}}@media (forced-colors:active){.l{border-color:ButtonText}}</style>`;
  const launcher = document.createElement("button");
  launcher.className = "l";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-label", label);
  launcher.innerHTML = CHAT_ICON;
  launcher.hidden = config.launcherHidden;
  root.append(launcher);

  const load = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const s = document.createElement("script");
      s.src = new URL(path, script.src).href;
      s.nonce = script.nonce ?? "";
      s.onload = () => resolve();
      s.onerror = reject;
      document.head.append(s);
    });

  const start = (): Promise<AppHandle> => {
    if (loading) return loading;
    let mount: MountApp | undefined;
    const strings: Record<string, string> = {};
    api._a = (m: MountApp) => (mount = m);
    // Strings arrive in two parts (the open widget's now, a conversation's with rich.js).
    api._l = (_: string, s: Record<string, string>) => Object.assign(strings, s);
    // The app and its strings load side by side: no waterfall.
    loading = Promise.all([load("app.js"), load(`i18n/${config.locale}.js`)]).then(
      () => {
        app = mount!({ config, data: script.dataset, scriptSrc: script.src, root, launcher, strings, load, emit, closed: () => setOpen(false, true) });
        if (identity) app.identify(identity);
        emit("ready");
        return app;
      },
      (err: unknown) => {
        loading = null;
        emit("error", { code: "load_failed" });
        throw err;
      },
    );
    return loading;
  };

  /** Opens or closes the panel; user actions move focus in on open and back out on close. */
  const setOpen = (next: boolean, userAction: boolean): void => {
    if (next === open) return;
    open = next;
    remember(next);
    launcher.setAttribute("aria-expanded", String(next));
    launcher.innerHTML = next ? CLOSE_ICON : CHAT_ICON;
    host.toggleAttribute("data-open", next);
    emit(next ? "open" : "close");
    if (next) {
      const active = document.activeElement as HTMLElement | null;
      returnFocus = userAction && active !== document.body ? active : null;
      start().then(
        (a) => open && a.setOpen(true, userAction),
        () => setOpen(false, false),
      );
      return;
    }
    app?.setOpen(false, false);
    if (userAction) (config.launcherHidden ? returnFocus : launcher)?.focus();
  };

  const api = ((method: string, ...args: unknown[]) => (api[method] as (...a: unknown[]) => unknown)?.(...args)) as Api;
  Object.assign(api, {
    version: __WIDGET_VERSION__,
    open: () => setOpen(true, true),
    close: () => setOpen(false, true),
    toggle: () => setOpen(!open, true),
    identify: (who: VisitorIdentity) => {
      identity = { ...who };
      app?.identify(identity);
    },
    on: (event: WidgetEvent, fn: Listener) => {
      (listeners[event] ??= new Set()).add(fn);
      return () => listeners[event]!.delete(fn);
    },
    off: (event: WidgetEvent, fn: Listener) => listeners[event]?.delete(fn),
  });

  launcher.onclick = () => setOpen(!open, true);
  for (const hint of ["pointerenter", "focus", "touchstart"]) launcher.addEventListener(hint, () => start().catch(() => {}), { once: true });

  // Calls queued by the page's stub before this script ran (`EdgeDesk('open')`), then ours.
  const queued = Array.from(win.EdgeDesk?.q ?? []);
  win.EdgeDesk = api;
  const attach = () => {
    document.body.append(host);
    let reopen = false;
    try {
      reopen = !!sessionStorage.getItem(openKey);
    } catch {
      // storage blocked
    }
    if (config.openOnLoad || reopen) setOpen(true, false);
    for (const call of queued) api(...(Array.from(call) as [string]));
  };
  if (document.body) attach();
  else addEventListener("DOMContentLoaded", attach);
}

const current = (document.currentScript ?? document.querySelector('script[data-assistant][src*="widget.js"]')) as HTMLScriptElement | null;
if (current && !win.EdgeDesk?.version) boot(current);
