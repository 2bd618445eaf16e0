/** Reads the launcher's configuration from the widget's `<script>` tag's `data-*` attributes. */
import type { LauncherConfig } from "../shared/types";
import { themeFor } from "./theme";

/** Locales the widget has UI strings for; the first is the fallback. */
export const LOCALES = ["en", "es", "fr", "de", "pt", "ar", "he"];
const RTL = ["ar", "he"];

/** The first of `wanted` (BCP 47 tags, best first) the widget speaks, else English. */
export function pickLocale(wanted: readonly (string | null | undefined)[]): string {
  for (const tag of wanted) {
    const base = (tag ?? "").toLowerCase().split(/[-_]/)[0]!;
    if (LOCALES.includes(base)) return base;
    if (base === "iw") return "he"; // the old code some systems still report
  }
  return "en";
}

/**
 * The launcher's configuration: attributes win, then the browser's languages; `null` when the
 * required `data-assistant` or `data-key` is missing.
 */
export function readConfig(d: DOMStringMap, languages: readonly string[]): LauncherConfig | null {
  const assistantId = d.assistant?.trim();
  const publishableKey = d.key?.trim();
  if (!assistantId || !publishableKey) return null;
  const locale = pickLocale([d.locale, ...languages]);
  return {
    assistantId,
    publishableKey,
    position: d.position === "bottom-left" ? "bottom-left" : "bottom-right",
    locale,
    rtl: RTL.includes(locale),
    openOnLoad: d.open === "true",
    launcherHidden: d.launcher === "hidden",
    theme: themeFor(d.color),
  };
}
