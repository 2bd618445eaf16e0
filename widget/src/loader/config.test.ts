import { describe, expect, it } from "vitest";
import { widgetConfig } from "../app/config";
import { pickLocale, readConfig } from "./config";

const data = (attrs: Record<string, string>) => ({ ...attrs }) as DOMStringMap;

describe("the script tag's configuration", () => {
  it("needs the assistant and the publishable key", () => {
    expect(readConfig(data({ key: "pk_live_x" }), [])).toBeNull();
    expect(readConfig(data({ assistant: "ast_x" }), [])).toBeNull();
    expect(readConfig(data({ assistant: " ast_x ", key: "pk_live_x" }), ["en-US"])).toMatchObject({
      assistantId: "ast_x",
      publishableKey: "pk_live_x",
      position: "bottom-right",
      locale: "en",
      rtl: false,
      openOnLoad: false,
      launcherHidden: false,
    });
  });

  it("reads position, colour, open on load and a hidden launcher", () => {
    const c = readConfig(data({ assistant: "a", key: "k", position: "bottom-left", color: "#ffd400", open: "true", launcher: "hidden" }), []);
    expect(c).toMatchObject({ position: "bottom-left", openOnLoad: true, launcherHidden: true, theme: { primary: "#ffd400", onPrimary: "#000000" } });
  });

  it("speaks data-locale, else the browser's first language it knows, else English; Arabic and Hebrew right to left", () => {
    expect(pickLocale(["fr-CA", "en"])).toBe("fr");
    expect(pickLocale([undefined, "nl-NL", "pt-BR"])).toBe("pt");
    expect(pickLocale(["zh"])).toBe("en");
    expect(pickLocale(["iw-IL"])).toBe("he");
    expect(readConfig(data({ assistant: "a", key: "k", locale: "ar" }), ["de"])).toMatchObject({ locale: "ar", rtl: true });
    expect(readConfig(data({ assistant: "a", key: "k" }), ["he-IL"])).toMatchObject({ locale: "he", rtl: true });
    expect(readConfig(data({ assistant: "a", key: "k", locale: "xx" }), ["es-MX"])).toMatchObject({ locale: "es", rtl: false });
  });

  it("takes the API from the script's origin unless data-api says otherwise, and only http(s) avatars", () => {
    const basics = readConfig(data({ assistant: "a", key: "k" }), [])!;
    const page = "https://shop.example.com/product";
    expect(widgetConfig(basics, data({}), "https://edge.example.com/widget/v1/widget.js", page)).toMatchObject({
      apiBase: "https://edge.example.com",
      title: null,
      greeting: null,
      avatarUrl: null,
    });
    const full = widgetConfig(
      basics,
      data({ api: "https://api.example.com/", title: " Help ", greeting: "Hey", avatar: "https://cdn.example.com/a.png" }),
      "https://edge.example.com/widget.js",
      page,
    );
    expect(full).toMatchObject({ apiBase: "https://api.example.com", title: "Help", greeting: "Hey", avatarUrl: "https://cdn.example.com/a.png" });
    expect(widgetConfig(basics, data({ avatar: "javascript:alert(1)" }), "https://e.example/w.js", page).avatarUrl).toBeNull();
  });
});
