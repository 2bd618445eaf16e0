import { describe, expect, it } from "vitest";
import { judgeSender, parseDkim, parseSpf } from "./sender-auth";

describe("email sender authentication", () => {
  it("reads SendGrid's dkim and SPF fields", () => {
    expect(parseDkim("{@example.com : pass}")).toEqual([{ domain: "example.com", result: "pass" }]);
    expect(parseDkim("{@mail.example.com : pass, @sendgrid.net : fail}")).toEqual([
      { domain: "mail.example.com", result: "pass" },
      { domain: "sendgrid.net", result: "fail" },
    ]);
    expect(parseDkim("{}")).toEqual([]);
    expect(parseDkim("")).toEqual([]);
    expect(parseSpf("pass")).toBe("pass");
    expect(parseSpf(" SoftFail ")).toBe("softfail");
    expect(parseSpf("")).toBeNull();
  });

  it("trusts a DKIM pass of the From domain or a parent of it", () => {
    expect(judgeSender("ann@customer.test", null, { spf: "fail", dkim: [{ domain: "customer.test", result: "pass" }] }).verified).toBe(true);
    expect(judgeSender("ann@eu.customer.test", null, { spf: null, dkim: [{ domain: "customer.test", result: "pass" }] }).verified).toBe(true);
  });

  it("trusts an SPF pass only for an envelope sender of the From domain", () => {
    expect(judgeSender("ann@customer.test", "bounce@customer.test", { spf: "pass", dkim: [] }).verified).toBe(true);
    const forged = judgeSender("ceo@customer.test", "x@attacker.test", { spf: "pass", dkim: [{ domain: "attacker.test", result: "pass" }] });
    expect(forged).toEqual({
      verified: false,
      summary: "SPF pass for another domain (attacker.test); DKIM pass for attacker.test; From domain customer.test",
    });
  });

  it("does not trust a sender that fails both, or sent no results", () => {
    expect(judgeSender("ann@customer.test", "ann@customer.test", { spf: "softfail", dkim: [{ domain: "customer.test", result: "fail" }] }).verified).toBe(false);
    expect(judgeSender("ann@customer.test", "ann@customer.test", { spf: null, dkim: [] })).toEqual({
      verified: false,
      summary: "SPF none; DKIM none; From domain customer.test",
    });
    // A look-alike domain is not a subdomain.
    expect(judgeSender("ann@customer.test", null, { spf: null, dkim: [{ domain: "evilcustomer.test", result: "pass" }] }).verified).toBe(false);
  });
});
