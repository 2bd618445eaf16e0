import type { Principal } from "../../auth/principal";
import { ID_PREFIX } from "../../lib/ids";
import type { SubjectKind } from "./tiers";

/** Whose counters a call goes to: the kind picks the limits, the name picks the Durable Object. */
export interface Subject {
  kind: SubjectKind;
  /** Name of the `RateLimiterDO` holding this subject's counters. */
  name: string;
}

/** The staff member behind an agent's conversation token: a secret key or a dashboard user. */
function staffSubject(staffId: string): Subject {
  return staffId.startsWith(`${ID_PREFIX.key}_`)
    ? { kind: "key", name: `key:${staffId}` }
    : { kind: "user", name: `user:${staffId}` };
}

/**
 * The subject a principal's calls are counted for. Secret keys and users are counted on their
 * own id, and so is a staff member joining a conversation as an agent. A visitor's
 * conversation token carries a signed visitor id, so that visitor is counted across
 * conversations and tabs. A publishable key names no visitor at all (a visitor id in a request
 * body is the caller's own claim, free to change on every call), so its calls are counted per
 * key and client IP.
 */
export function subjectOf(principal: Principal, clientIp: string | undefined): Subject {
  switch (principal.kind) {
    case "secret_key":
      return staffSubject(principal.keyId);
    case "user":
      return staffSubject(principal.userId);
    case "conversation":
      if (principal.role === "agent" && principal.agentId) return staffSubject(principal.agentId);
      return { kind: "visitor", name: `visitor:${principal.workspaceId}:id:${principal.visitorId}` };
    case "publishable_key":
      return {
        kind: "visitor",
        name: `visitor:${principal.workspaceId}:ip:${principal.keyId}:${clientIp?.trim() || "unknown"}`,
      };
  }
}
