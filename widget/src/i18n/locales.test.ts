import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOCALES } from "../loader/config";

const dir = join(process.cwd(), "widget", "src", "i18n"); // vitest runs from the repository root
const load = (locale: string) => JSON.parse(readFileSync(join(dir, `${locale}.json`), "utf8")) as Record<string, string>;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the UI strings", () => {
  it("exist for every locale the widget offers, and for no other", () => {
    const files = readdirSync(dir).filter((f) => /^[a-z]{2}\.json$/.test(f)).map((f) => f.slice(0, 2));
    expect(files.sort()).toEqual([...LOCALES].sort());
    expect(LOCALES).toEqual(expect.arrayContaining(["en", "es", "fr", "de", "pt", "ar", "he"]));
  });

  it("have every English key in every locale, with the same placeholders and no empty string", () => {
    const en = load("en");
    for (const locale of LOCALES) {
      const strings = load(locale);
      expect(Object.keys(strings).sort(), locale).toEqual(Object.keys(en).sort());
      for (const [key, value] of Object.entries(strings)) {
        expect(value.trim(), `${locale}.${key}`).not.toBe("");
        expect(placeholders(value), `${locale}.${key}`).toEqual(placeholders(en[key]!));
      }
    }
  });

  it("list only real keys among those that wait for a conversation", () => {
    const later = JSON.parse(readFileSync(join(dir, "conversation-keys.json"), "utf8")) as string[];
    expect(Object.keys(load("en"))).toEqual(expect.arrayContaining(later));
  });
});
