import type { Principal } from "../../auth/principal";
import type { SubjectKind } from "./tiers";

/** Whose counters a call goes to: the kind picks the limits, the name picks the Durable Object. */
export interface Subject {
  kind: SubjectKind;
  /** Name of the `RateLimiterDO` holding this subject's counters. */
  name: string;
}

/**
 * The subject a principal's calls are counted for. Secret keys and users are counted on their
 * own id. A conversation token carries a signed visitor id, so its visitor is counted across
 * conversations and tabs. A publishable key carries no visitor at all (any visitor id in a
 * request body is the caller's own claim, free to change on every call), so its calls are
 * counted per key and client IP.
 */
export function subjectOf(principal: Principal, clientIp: string | undefined): Subject {
  switch (principal.kind) {
    case "secret_key":
      return { kind: "key", name: `key:${principal.keyId}` };
    case "user":
      return { kind: "user", name: `user:${principal.userId}` };
    case "conversation":
      return { kind: "visitor", name: `visitor:${principal.workspaceId}:id:${principal.visitorId}` };
    case "publishable_key":
      return {
        kind: "visitor",
        name: `visitor:${principal.workspaceId}:ip:${principal.keyId}:${clientIp?.trim() || "unknown"}`,
      };
  }
}
