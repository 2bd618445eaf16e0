/**
 * What the loader (`widget.js`) and the chat app (`app.js`, `rich.js`) share: the configuration
 * read from the embedding `<script>` tag and the bridge between the bundles.
 */

/** What the loader reads from the script tag: enough to draw the launcher and pick a language. */
export interface LauncherConfig {
  /** `data-assistant`: the assistant id (`ast_…`). */
  assistantId: string;
  /** `data-key`: the publishable key (`pk_live_…`), bound to the assistant and the page's origin. */
  publishableKey: string;
  /** `data-position`. */
  position: "bottom-right" | "bottom-left";
  /** The locale in use (`data-locale`, else the browser's), one the widget has strings for. */
  locale: string;
  /** Right-to-left script (Arabic, Hebrew). */
  rtl: boolean;
  /** `data-open="true"`: open on page load (without moving focus). */
  openOnLoad: boolean;
  /** `data-launcher="hidden"`: no launcher button; the page opens the widget with `EdgeDesk.open()`. */
  launcherHidden: boolean;
  /** Colours derived from `data-color`, each readable on what it sits on (WCAG AA). */
  theme: Theme;
}

/** The whole configuration: the app adds what only the open panel needs. */
export interface WidgetConfig extends LauncherConfig {
  /** `data-api`: the platform's origin; defaults to the origin the script was loaded from. */
  apiBase: string;
  /** `data-title`, `data-greeting`, `data-avatar`: shown in the panel (localised defaults when absent). */
  title: string | null;
  greeting: string | null;
  avatarUrl: string | null;
}

/** The configured primary colour and the colours that keep text on and around it readable. */
export interface Theme {
  /** The primary colour itself: launcher, visitor bubbles, send button. */
  primary: string;
  /** Text and icons on `primary`: black or white, whichever contrasts more (always ≥ 4.5:1). */
  onPrimary: string;
  /** `primary` darkened until it is readable as text on the widget's light surfaces (≥ 4.5:1). */
  accent: string;
}

/**
 * Who the visitor is, as the embedding page knows it (`EdgeDesk.identify`, `data-user-*`):
 * unverified (`visitor_id`, `name`, `email`, kept as the conversation's metadata), or verified by
 * the site's backend with the assistant's identity secret (`user_id` + `user_hash`, or `token`).
 */
export interface VisitorIdentity {
  visitor_id?: string;
  name?: string;
  email?: string;
  /** The signed-in user's id, with `user_hash`: its HMAC-SHA256 under the identity secret. */
  user_id?: string | undefined;
  user_hash?: string | undefined;
  /** Instead of `user_id` + `user_hash` (and winning over them): a JWT (HS256) signed with the identity secret. */
  token?: string | undefined;
}

/** Events of `EdgeDesk.on(event, fn)`. */
export type WidgetEvent = "ready" | "open" | "close" | "conversation" | "message" | "status" | "error";

/** What the loader hands the app when it mounts it. */
export interface HostBridge {
  config: LauncherConfig;
  /** The script tag's attributes and URL, for the settings only the panel uses. */
  data: DOMStringMap;
  scriptSrc: string;
  /** The widget's shadow root, where the app renders, and the launcher in it. */
  root: ShadowRoot;
  launcher: HTMLButtonElement;
  /** UI strings of `config.locale` (loaded beside the app). */
  strings: Record<string, string>;
  /** Loads another file of this widget version (a classic script), resolved once it ran. */
  load(path: string): Promise<void>;
  /** Tells the page's listeners (`EdgeDesk.on`). */
  emit(event: WidgetEvent, detail?: unknown): void;
  /** The panel closed itself (close button, Escape): the loader restores focus. */
  closed(): void;
}

/** What the app gives back to the loader. */
export interface AppHandle {
  /** Shows or hides the panel; `focus` moves focus to the message input (user-initiated opens). */
  setOpen(open: boolean, focus: boolean): void;
  identify(identity: VisitorIdentity): void;
}

/** The app bundle's entry: renders into the loader's shadow root. */
export type MountApp = (host: HostBridge) => AppHandle;
