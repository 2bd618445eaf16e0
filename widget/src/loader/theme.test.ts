import { describe, expect, it } from "vitest";
import { contrast } from "../shared/color";
import { DEFAULT_PRIMARY, themeFor } from "./theme";

const hex = (n: number) => `#${n.toString(16).padStart(3, "0")}`;

describe("the theme of a primary colour", () => {
  it("keeps text readable (4.5:1) on and around every configurable colour", () => {
    for (let n = 0; n < 4096; n++) {
      const { primary, onPrimary, accent } = themeFor(hex(n));
      expect(contrast(primary, onPrimary), `${primary} text`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(accent, "#eef1f5"), `${primary} accent on bubbles`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(accent, "#ffffff"), `${primary} accent on white`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("picks black text on light colours and white on dark ones, and keeps a dark enough colour as is", () => {
    expect(themeFor("#ffd400")).toMatchObject({ primary: "#ffd400", onPrimary: "#000000" });
    expect(themeFor("#14352b")).toEqual({ primary: "#14352b", onPrimary: "#ffffff", accent: "#14352b" });
    expect(themeFor("#F0F")).toMatchObject({ primary: "#ff00ff" });
  });

  it("falls back to the default for anything that is not a hex colour", () => {
    for (const bad of [undefined, "", "red", "#12345", "url(x)", "#ffffff; background: red"]) {
      expect(themeFor(bad).primary).toBe(DEFAULT_PRIMARY);
    }
  });
});
