import { describe, expect, it } from "vitest";
import { detectLanguage } from "./language";

describe("detectLanguage", () => {
  it.each([
    ["How long does standard shipping take?", "en"],
    ["Do you sell replacement saddles for tandem bicycles?", "en"],
    ["¿Cuánto tarda el envío a Madrid?", "es"],
    ["Quiero hablar con una persona", "es"],
    ["Bonjour, comment je peux retourner mon vélo ?", "fr"],
    ["Wie lange dauert der Versand nach Berlin?", "de"],
    ["Olá, como posso devolver a minha bicicleta?", "pt"],
    ["Ciao, come posso restituire il mio ordine?", "it"],
    ["Hoe kan ik mijn bestelling retourneren?", "nl"],
    ["كم يستغرق الشحن؟", "ar"],
    ["כמה זמן לוקח המשלוח?", "he"],
  ])("%s → %s", (text, lang) => {
    expect(detectLanguage(text)).toBe(lang);
  });

  it("keeps the fallback when the text gives no evidence", () => {
    expect(detectLanguage("X-200 Pro", "de")).toBe("de");
    expect(detectLanguage("👍", "fr")).toBe("fr");
    expect(detectLanguage("ok")).toBe("en");
  });
});
