/**
 * UI strings. Every locale, English included, is a file of its own (`src/i18n/<locale>.json`):
 * a visitor downloads one language, and the app carries none. The build splits each in two:
 * `i18n/<locale>.js`, fetched with the app, and `i18n/<locale>.chat.js`, the strings listed in
 * `conversation-keys.json`, fetched with rich.js once a conversation is under way.
 */
type Strings = typeof import("../i18n/en.json");

/** A string's key. */
export type StringKey = keyof Strings;
/** Translates a key, filling `{placeholders}`. */
export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

/** The translator of a locale's strings (a string not loaded yet is empty, never its key). */
export function translator(strings: Record<string, string>): Translate {
  return (key, vars) => (strings[key] ?? "").replace(/\{(\w+)\}/g, (whole, name: string) => String(vars?.[name] ?? whole));
}
