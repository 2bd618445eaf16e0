import { describe, expect, it } from "vitest";
import { linkDisplay } from "./link-display";

describe("how a link shows its destination", () => {
  it("replaces a label that names another address with the real one", () => {
    expect(linkDisplay("https://bank.example", "https://evil.example/")).toMatchObject({ show: "instead", fullDestination: "https://evil.example/" });
    expect(linkDisplay("bank.example", "https://bank.example.evil.example/")).toMatchObject({ show: "instead" });
    expect(linkDisplay("Sign in at bank.example now", "https://evil.example/")).toMatchObject({ show: "instead" });
    expect(linkDisplay("help@bank.example", "https://evil.example/")).toMatchObject({ show: "instead" });
    expect(linkDisplay("help@bank.example", "mailto:thief@evil.example")).toMatchObject({ show: "instead", fullDestination: "thief@evil.example" });
    // A look-alike written with a Cyrillic "а" is another host than the Latin one.
    expect(linkDisplay("b\u0430nk.example", "https://bank.example/")).toMatchObject({ show: "instead" });
    expect(linkDisplay("bank.example and evil.example", "https://bank.example/")).toMatchObject({ show: "instead" });
  });

  it("keeps a label that names exactly its destination", () => {
    expect(linkDisplay("https://bank.example/login", "https://bank.example/login")).toMatchObject({ show: "label" });
    expect(linkDisplay("www.bank.example", "https://bank.example/")).toMatchObject({ show: "label" });
    expect(linkDisplay("BANK.example", "https://www.bank.example/x")).toMatchObject({ show: "label" });
    expect(linkDisplay("help@bank.example", "mailto:help@bank.example")).toMatchObject({ show: "label" });
  });

  it("shows the host beside a label of ordinary words", () => {
    expect(linkDisplay("our returns page", "https://shop.example:8443/returns")).toEqual({
      show: "beside",
      destination: "shop.example:8443",
      fullDestination: "https://shop.example:8443/returns",
    });
    expect(linkDisplay("e.g. this page, v1.2", "https://shop.example/")).toMatchObject({ show: "beside", destination: "shop.example" });
    expect(linkDisplay("write to us", "mailto:help@shop.example")).toMatchObject({ show: "beside", destination: "help@shop.example" });
    expect(linkDisplay("b\u00fccher", "https://b\u00fccher.example/")).toMatchObject({ show: "beside", destination: "xn--bcher-kva.example" });
  });
});
