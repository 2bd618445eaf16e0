import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal";
import { subjectOf } from "./subject";

/** A conversation token's principal for `conversationId`. */
function conversationToken(conversationId: string, agentId: string | null = null): Principal {
  return {
    kind: "conversation",
    workspaceId: "ws_1",
    conversationId,
    assistantId: "ast_1",
    visitorId: "v-42",
    role: agentId ? "agent" : "visitor",
    agentId,
  };
}

describe("rate-limit subject", () => {
  it("counts secret keys and users on their own ids", () => {
    expect(subjectOf({ kind: "secret_key", workspaceId: "ws_1", keyId: "key_1", role: "viewer" }, "1.2.3.4")).toEqual({
      kind: "key",
      name: "key:key_1",
    });
    expect(subjectOf({ kind: "user", workspaceId: "ws_1", userId: "usr_1", role: "admin" }, undefined)).toEqual({
      kind: "user",
      name: "user:usr_1",
    });
  });

  it("counts a conversation token's visitor across conversations, whatever the IP", () => {
    const a = subjectOf(conversationToken("conv_a"), "1.2.3.4");
    expect(a).toEqual({ kind: "visitor", name: "visitor:ws_1:id:v-42" });
    expect(subjectOf(conversationToken("conv_b"), "5.6.7.8")).toEqual(a);
  });

  it("counts an agent's conversation token on the staff member behind it", () => {
    expect(subjectOf(conversationToken("conv_a", "usr_9"), "1.2.3.4")).toEqual({ kind: "user", name: "user:usr_9" });
    expect(subjectOf(conversationToken("conv_a", "key_9"), "1.2.3.4")).toEqual({ kind: "key", name: "key:key_9" });
  });

  it("counts a widget key's callers per client IP, since it names no visitor", () => {
    const widget: Principal = {
      kind: "publishable_key",
      workspaceId: "ws_1",
      keyId: "key_pk",
      assistantId: "ast_1",
      allowedOrigins: ["https://shop.example"],
    };
    expect(subjectOf(widget, "2001:db8::1")).toEqual({ kind: "visitor", name: "visitor:ws_1:ip:key_pk:2001:db8::1" });
    expect(subjectOf(widget, undefined).name).toBe("visitor:ws_1:ip:key_pk:unknown");
  });

  it("counts the visitor tokens a widget key handed out on that key and address, whatever visitor id they claim", () => {
    const token = (visitorId: string): Principal => ({
      kind: "conversation",
      workspaceId: "ws_1",
      conversationId: `conv_${visitorId}`,
      assistantId: "ast_1",
      visitorId,
      role: "visitor",
      agentId: null,
      publishableKeyId: "key_pk",
    });
    expect(subjectOf(token("invented-1"), "1.2.3.4")).toEqual({ kind: "visitor", name: "visitor:ws_1:ip:key_pk:1.2.3.4" });
    expect(subjectOf(token("invented-2"), "1.2.3.4")).toEqual(subjectOf(token("invented-1"), "1.2.3.4"));
  });

  it("counts a watch-only token on the staff member behind it", () => {
    const token = conversationToken("conv_a", "usr_7");
    if (token.kind !== "conversation") throw new Error("expected a conversation token");
    const observer: Principal = { ...token, role: "observer" };
    expect(subjectOf(observer, "1.2.3.4")).toEqual({ kind: "user", name: "user:usr_7" });
  });
});
