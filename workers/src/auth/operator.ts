import type { Principal } from "./principal";
import { roleAtLeast } from "./principal";

/** True when `workspaceId` is the deployment operator's (`OPERATOR_WORKSPACE_ID`); false when none is named. */
export function isOperatorWorkspace(env: Env, workspaceId: string): boolean {
  const operator = env.OPERATOR_WORKSPACE_ID?.trim();
  return Boolean(operator) && operator === workspaceId;
}

/** True when `p` may see the deployment's system health: an admin (user or secret key) of the operator's workspace. */
export function seesSystemHealth(env: Env, p: Principal): boolean {
  return (p.kind === "user" || p.kind === "secret_key") && roleAtLeast(p.role, "admin") && isOperatorWorkspace(env, p.workspaceId);
}
