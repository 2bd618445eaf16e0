/**
 * Staff on a conversation's sockets: agents (manager and above, who reply, stop and type) and
 * observers (viewers, who only watch). What a staff socket may do follows its holder's role
 * now, not the role the token was issued for.
 *
 * How a change of role reaches an open socket: a conversation object cannot know which of them
 * a given member or key has sockets in, and keeping such a registry would put a write on every
 * connect. Instead the holder's role is read again (one indexed D1 read) before every frame a
 * staff socket sends, so a demoted or removed member, or a revoked, expired or rotated-away key,
 * cannot act once more; and, while staff sockets are open, the object's alarm re-reads every
 * holder each STAFF_RECHECK_MS, so a socket that only listens is closed within that time too.
 * A refused socket gets an `error` frame `forbidden`, then is closed with
 * ACCESS_REVOKED_CLOSE_CODE; the client asks for a new token, which carries the role it has now.
 */
import type { ClientFrame, ServerEvent } from "../../../schema/protocol";
import { conversationRoleOf, currentStaffRole } from "../auth/staff-standing";
import { createDb } from "../storage/db";

/** Close code of a staff socket whose holder lost the right to it (4000-4999: the application's; 403's echo). */
export const ACCESS_REVOKED_CLOSE_CODE = 4403;
/** How often open staff sockets have their holders re-read when idle: how long a removed member may still watch. */
export const STAFF_RECHECK_MS = 60_000;

/** Who a staff socket belongs to, as its attachment keeps it. */
export interface StaffSocketHolder {
  role: "agent" | "observer";
  /** The user or key id. */
  participantId: string;
  /** For a key, which value of it the token came from. */
  keyFingerprint?: string | null;
}

/** The refusal an observer gets for anything but `resume`. */
export const WATCH_ONLY_ERROR: ServerEvent = {
  type: "error",
  code: "forbidden",
  message: "this conversation token may only watch; replying needs the manager role",
};

/** What a staff socket is told before it is closed for a lost role. */
export const ACCESS_REVOKED_ERROR: ServerEvent = {
  type: "error",
  code: "forbidden",
  message: "your access to this conversation has changed; reconnect with a new token",
};

/** Whether an observer may send this frame: only `resume` (API.md "Watch-only"). */
export function observerMaySend(frame: ClientFrame): boolean {
  return frame.type === "resume";
}

/** True while the holder may still use a socket of this role: observers any role, agents manager and above. */
export async function holderStillAllowed(env: Env, workspaceId: string, holder: StaffSocketHolder): Promise<boolean> {
  const role = await currentStaffRole(createDb(env.DB), {
    workspaceId,
    agentId: holder.participantId,
    keyFingerprint: holder.keyFingerprint,
  });
  if (!role) return false;
  return holder.role === "observer" || conversationRoleOf(role) === "agent";
}

/** Tells a staff socket it lost its access, then closes it. */
export function dismissSocket(ws: WebSocket): void {
  try {
    ws.send(JSON.stringify(ACCESS_REVOKED_ERROR));
    ws.close(ACCESS_REVOKED_CLOSE_CODE, "access changed");
  } catch {
    // already closing
  }
}
