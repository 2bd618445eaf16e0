/**
 * axe-core checks for the browser tests: the page's violations of the rules tagged `tags`.
 *
 * `@axe-core/playwright` runs axe in every frame and then combines the frames' results in a
 * second, blank page it opens for the purpose, injecting axe there too: half of each check's
 * time. A page without child frames has nothing to combine, so it is checked with `axe.run` in
 * the page itself (the builder's legacy mode), which applies the same rules to the same DOM; a
 * page with frames gets the full cross-frame run.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";

/** axe's results for `page` under the rules tagged `tags` (e.g. `["wcag2a", "wcag2aa"]`). */
export function analyzeAccessibility(page: Page, tags: string[]) {
  const builder = new AxeBuilder({ page }).withTags(tags);
  if (page.frames().length === 1) builder.setLegacyMode(true);
  return builder.analyze();
}
