/** The panel's own settings from the script tag: API origin, title, greeting, avatar. */
import type { LauncherConfig, WidgetConfig } from "../shared/types";

function httpUrl(value: string | undefined, base: string): string | null {
  if (!value) return null;
  try {
    const url = new URL(value, base);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

const text = (v: string | undefined) => v?.trim() || null;

/** Completes the loader's configuration with the attributes only the open panel uses. */
export function widgetConfig(basics: LauncherConfig, d: DOMStringMap, scriptSrc: string, pageUrl: string): WidgetConfig {
  return {
    ...basics,
    apiBase: (httpUrl(d.api, pageUrl) ?? new URL(scriptSrc, pageUrl).origin).replace(/\/+$/, ""),
    title: text(d.title),
    greeting: text(d.greeting),
    avatarUrl: httpUrl(d.avatar, pageUrl),
  };
}
