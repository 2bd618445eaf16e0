import { describe, expect, it } from "vitest";
import { confirmationReply, confirmQuestionText, toolDeclinedText, toolFailureText } from "./action-text";

describe("the actions' visitor-facing sentences", () => {
  it("speaks the visitor's language, English for one it does not know", () => {
    expect(toolFailureText("de")).toMatch(/^Ich konnte diese Anfrage/);
    expect(toolFailureText("pt-BR")).toMatch(/^Não consegui/);
    expect(toolFailureText("ja")).toBe(toolFailureText("en"));
    expect(toolDeclinedText("FR")).toBe("D'accord, je ne l'ai pas fait.");
    expect(confirmQuestionText("cancel_order (order_number: 1043)", "es")).toBe(
      "Voy a hacer esto: cancel_order (order_number: 1043). Responde sí para continuar o no para cancelar.",
    );
  });

  it("reads a yes or a no in any supported language, and anything else as a new message", () => {
    for (const yes of ["yes", "Yes please", "OK!", "sí", "Si.", "oui", "Ja, bitte", "sim", "¡Claro!"]) expect(confirmationReply(yes), yes).toBe(true);
    for (const no of ["no", "No thanks", "Nein!", "non", "não", "cancel"]) expect(confirmationReply(no), no).toBe(false);
    for (const other of ["yes but not order 1043", "What are your opening hours?", "", "maybe"]) expect(confirmationReply(other), other).toBeNull();
  });
});
