import { describe, expect, it } from "vitest";
import { replyTargetMetadata } from "../channels/jobs";
import { REPLY_METADATA_KEY, RESERVED_METADATA_KEYS, withoutReservedMetadata } from "./reserved-metadata";

describe("a client's conversation metadata", () => {
  it("loses the platform's keys, whatever their letter case, and keeps its own", () => {
    expect(RESERVED_METADATA_KEYS).toContain(REPLY_METADATA_KEY);
    for (const key of Object.keys(replyTargetMetadata({ channel: "whatsapp", to: "whatsapp:+15550001", from: "whatsapp:+15550002" }))) {
      expect(RESERVED_METADATA_KEYS).toContain(key);
    }
    expect(
      withoutReservedMetadata({ order: "A-1", channel_reply: "{}", CHANNEL_REPLY: "{}", Delivery_Error: "x", email_verified: true, name: "Ann" }),
    ).toEqual({ order: "A-1", name: "Ann" });
    expect(withoutReservedMetadata(undefined)).toEqual({});
  });
});
