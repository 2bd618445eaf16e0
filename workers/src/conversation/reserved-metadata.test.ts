import { describe, expect, it } from "vitest";
import { REPLY_METADATA_KEY } from "../channels/jobs";
import { RESERVED_METADATA_KEYS, withoutReservedMetadata } from "./reserved-metadata";

describe("a client's conversation metadata", () => {
  it("loses the platform's keys, whatever their letter case, and keeps its own", () => {
    expect(RESERVED_METADATA_KEYS).toContain(REPLY_METADATA_KEY);
    expect(
      withoutReservedMetadata({ order: "A-1", channel_reply: "{}", CHANNEL_REPLY: "{}", Delivery_Error: "x", email_verified: true, name: "Ann" }),
    ).toEqual({ order: "A-1", name: "Ann" });
    expect(withoutReservedMetadata(undefined)).toEqual({});
  });
});
