/**
 * `rich.js`: what a conversation needs once it has started (Markdown answers with citations and
 * sources, attachments, the satisfaction prompt, the actions an answer runs). The app loads it on the first message, when
 * there is history, or when the visitor picks a file, so opening the widget does not pay for it. It shares the app's Preact
 * (see `sharedPreact` in vite.config.ts) and registers itself with `EdgeDesk._r`.
 */
import { attach, Files } from "./attach";
import { Body } from "./body";
import { Restart, spoken, Typing } from "./extras";
import { Rating } from "./rating";
import { Tools } from "./tools";
import css from "./styles.css?inline";

/** What `rich.js` gives the app. */
export interface RichModule {
  Body: typeof Body;
  Files: typeof Files;
  attach: typeof attach;
  Rating: typeof Rating;
  Restart: typeof Restart;
  Typing: typeof Typing;
  Tools: typeof Tools;
  spoken: typeof spoken;
  /** Its styles, added to the widget's shadow root. */
  css: string;
}

(window as unknown as { EdgeDesk?: { _r?: (m: RichModule) => void } }).EdgeDesk?._r?.({ Body, Files, attach, Rating, Restart, Typing, Tools, spoken, css });
