/** Loads `rich.js` once a conversation starts; components render plain text until it is there. */
import { signal } from "@preact/signals";
import type { RichModule } from "../rich";
import { SHARED_MODULES } from "./shared-modules";

/** The loaded module, or null while it is not (yet) there. */
export const rich = signal<RichModule | null>(null);

let loader: { load: (path: string) => Promise<void>; root: ShadowRoot; locale: string } | null = null;
let loading: Promise<RichModule> | null = null;

/** Where `rich.js` comes from (the loader), where its styles go, which strings it needs. */
export function initRich(load: (path: string) => Promise<void>, root: ShadowRoot, locale: string): void {
  loader = { load, root, locale };
}

/** Fetches `rich.js` (once); until it is there, and if it fails, messages show as plain text. */
export function loadRich(): Promise<RichModule> {
  if (loading) return loading;
  const { load, root, locale } = loader!;
  const api = (window as unknown as { EdgeDesk: Record<string, unknown> }).EdgeDesk;
  api._p = SHARED_MODULES;
  loading = new Promise<RichModule>((resolve, reject) => {
    let module: RichModule;
    api._r = (m: RichModule) => (module = m);
    // The code and the conversation's strings load side by side; both are there before use.
    Promise.all([load("rich.js"), load(`i18n/${locale}.chat.js`)]).then(() => {
      const style = document.createElement("style");
      style.textContent = module.css;
      root.append(style);
      resolve((rich.value = module));
    }, reject);
  }).catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}
