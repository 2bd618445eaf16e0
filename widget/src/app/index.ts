/**
 * `app.js`: the chat app, loaded by `widget.js` when the visitor reaches for the launcher.
 * It registers itself with the loader (`EdgeDesk._a`), which mounts it in its shadow root.
 */
import type { MountApp } from "../shared/types";
import { mount } from "./mount";

(window as unknown as { EdgeDesk?: { _a?: (m: MountApp) => void } }).EdgeDesk?._a?.(mount);
