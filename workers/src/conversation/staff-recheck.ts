/**
 * Keeping staff sockets honest (see `staff-sockets.ts` for why): before each frame a staff socket
 * sends, and on the object's alarm every STAFF_RECHECK_MS while staff sockets are open, the
 * holder's role is read again; a holder who lost it is told and disconnected.
 */
import type { ConversationContext } from "./conversation-context";
import type { InOrder } from "./in-order";
import type { ClientFrame } from "./protocol";
import type { SocketAttachment } from "./socket-frames";
import { dismissSocket, holderStillAllowed, observerMaySend, STAFF_RECHECK_MS, WATCH_ONLY_ERROR, type StaffSocketHolder } from "./staff-sockets";

/** The holder of a socket, or null for a visitor's. */
export function staffHolderOf(who: SocketAttachment): StaffSocketHolder | null {
  return who.role === "visitor" ? null : { ...who, role: who.role };
}

/**
 * Whether a staff socket's frame goes ahead: an observer only resumes; and the holder's role is
 * read again first, so one who lost it is told and disconnected instead. Checks run in `order`,
 * so an agent's quick successive frames act in the order sent.
 */
export async function admitStaffFrame(
  cx: ConversationContext,
  order: InOrder,
  ws: WebSocket,
  who: StaffSocketHolder,
  frame: ClientFrame,
): Promise<boolean> {
  if (who.role === "observer" && !observerMaySend(frame)) {
    cx.fanOut.send(ws, WATCH_ONLY_ERROR);
    return false;
  }
  const conv = cx.store.conversation();
  if (!conv) return false;
  let allowed: boolean;
  try {
    allowed = await order.run(() => holderStillAllowed(cx.env, conv.workspace_id, who));
  } catch (err) {
    cx.logger.error("staff role check failed", { error: err });
    cx.fanOut.send(ws, { type: "error", code: "internal", message: "could not check your access; try again" });
    return false;
  }
  if (!allowed) dismissSocket(ws);
  return allowed;
}

/** Makes sure the alarm comes back within STAFF_RECHECK_MS while staff sockets are open. */
export async function armStaffRecheck(storage: DurableObjectStorage): Promise<void> {
  const at = Date.now() + STAFF_RECHECK_MS;
  const current = await storage.getAlarm();
  if (current === null || current > at) await storage.setAlarm(at);
}

/** Re-reads the holder of every open staff socket (once per holder), closes those who lost it, and re-arms. */
export async function recheckStaffSockets(cx: ConversationContext): Promise<void> {
  const conv = cx.store.conversation();
  const sockets = cx.fanOut.staffSockets();
  if (!conv || sockets.length === 0) return;
  const verdicts = new Map<string, Promise<boolean>>();
  try {
    for (const ws of sockets) {
      const holder = staffHolderOf(ws.deserializeAttachment() as SocketAttachment);
      if (!holder) continue;
      const key = `${holder.role}:${holder.participantId}:${holder.keyFingerprint ?? ""}`;
      if (!verdicts.has(key)) verdicts.set(key, holderStillAllowed(cx.env, conv.workspace_id, holder));
      if (!(await verdicts.get(key))) dismissSocket(ws);
    }
  } catch (err) {
    cx.logger.error("staff role recheck failed; will retry", { error: err });
  }
  if (cx.fanOut.staffSockets().length > 0) await armStaffRecheck(cx.storage);
}
