/**
 * What each role may do, in one table the pages read to hide what a role cannot use. The API
 * enforces the same rules (API.md "Scopes"); this only keeps the interface honest.
 */
import type { Role } from "../../../schema/api";

const RANK: Record<Role, number> = { viewer: 0, manager: 1, admin: 2 };

/** The least role each action needs. */
export const NEEDS = {
  reply: "manager",
  manageSavedReplies: "manager",
  manageKnowledge: "manager",
  editAssistants: "admin",
  manageKeys: "admin",
  manageTeam: "admin",
  manageIntegrations: "admin",
  viewAudit: "admin",
  editSettings: "admin",
  manageBilling: "admin",
} as const satisfies Record<string, Role>;

export type Action = keyof typeof NEEDS;

/** True when `role` may do `action`. */
export function can(role: Role | undefined, action: Action): boolean {
  return role !== undefined && RANK[role] >= RANK[NEEDS[action]];
}

/** True when `role` is at least `needed`. */
export function atLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}
