import type { Principal } from "../auth/principal";
import { ID_PREFIX } from "../lib/ids";
import type { SubjectKind } from "./call-windows";

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

/** The subject of a publishable key's calls: that key and the client address, whatever visitor id is claimed. */
function keyAndAddress(workspaceId: string, keyId: string, clientIp: string | undefined): Subject {
  return { kind: "visitor", name: `visitor:${workspaceId}:ip:${keyId}:${clientIp?.trim() || "unknown"}` };
}

/**
 * The subject a principal's calls are counted for. Secret keys and users are counted on their
 * own id, and so is a staff member joining a conversation as an agent or observer. A publishable
 * key names no visitor at all (a visitor id in a request body is the caller's own claim, free to
 * change on every call), so its calls are counted per key and client address, and so are the
 * calls of every conversation token it handed out: inventing visitor ids starts no new bucket.
 * A visitor token a secret key handed out names a visitor its server vouched for, so that
 * visitor is counted across conversations and tabs.
 */
export function subjectOf(principal: Principal, clientIp: string | undefined): Subject {
  switch (principal.kind) {
    case "secret_key":
      return staffSubject(principal.keyId);
    case "user":
      return staffSubject(principal.userId);
    case "conversation":
      if (principal.role !== "visitor" && principal.agentId) return staffSubject(principal.agentId);
      if (principal.publishableKeyId) return keyAndAddress(principal.workspaceId, principal.publishableKeyId, clientIp);
      return { kind: "visitor", name: `visitor:${principal.workspaceId}:id:${principal.visitorId}` };
    case "publishable_key":
      return keyAndAddress(principal.workspaceId, principal.keyId, clientIp);
  }
}
