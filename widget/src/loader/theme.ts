/** Colours that stay readable whatever primary colour a site configures (WCAG 2.1 AA). */
import type { Theme } from "../shared/types";
import { channels, contrast, normalizeHex } from "../shared/color";

/** Used when `data-color` is absent or not a hex colour. */
export const DEFAULT_PRIMARY = "#2557d6";
/** The lightest surface text in the accent colour sits on (assistant bubbles). */
const LIGHTEST_SURFACE = "#eef1f5";
/** AA for normal text, with a hair of margin for rounding in audit tools. */
const TEXT_CONTRAST = 4.6;

/** The theme of a primary colour: readable text on it, and a readable text shade of it. */
export function themeFor(color: string | null | undefined): Theme {
  const primary = normalizeHex(color) ?? DEFAULT_PRIMARY;
  // Black or white, whichever contrasts more: the better of the two is always ≥ 4.58:1.
  const onPrimary = contrast(primary, "#ffffff") >= contrast(primary, "#000000") ? "#ffffff" : "#000000";
  // The primary darkened in 5% steps towards black until it reads at AA on the panel's surfaces.
  let accent = primary;
  for (let step = 1; contrast(accent, LIGHTEST_SURFACE) < TEXT_CONTRAST; step++) {
    accent = `#${channels(primary)
      .map((c) => Math.round(c * Math.max(0, 1 - step * 0.05)).toString(16).padStart(2, "0"))
      .join("")}`;
  }
  return { primary, onPrimary, accent };
}
