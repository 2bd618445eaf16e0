import { describe, expect, it } from "vitest";
import { ApiError, ERROR_STATUS, errorCodeOf, type ErrorCode } from "./errors";

describe("API errors", () => {
  it("gives every code its own status, and every such status back its code", () => {
    const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
    expect(new Set(codes.map((c) => ERROR_STATUS[c])).size).toBe(codes.length);
    for (const code of codes) expect(errorCodeOf(ERROR_STATUS[code])).toBe(code);
  });

  it("names no code for a status no API error travels with", () => {
    expect(errorCodeOf(418)).toBeUndefined();
    expect(errorCodeOf(200)).toBeUndefined();
  });

  it("travels with the status of its code", () => {
    expect(new ApiError("payment_required", "upgrade").status).toBe(402);
    expect(new ApiError("rate_limited", "slow down", {}, { "Retry-After": "5" })).toMatchObject({ status: 429, headers: { "Retry-After": "5" } });
  });
});
