/**
 * A conversation socket's side of the protocol, without the socket: who the Worker says is on
 * it (from the upgrade's headers, kept in its attachment), whether a frame is one the protocol
 * accepts, and how a participant's typing is announced. Pure, so tests need no runtime.
 */
import { ClientFrame, MAX_FRAME_BYTES, type ServerEvent } from "./protocol";

/** Who is on a socket; kept in the socket's attachment so it survives hibernation. */
export interface SocketAttachment {
  /** A visitor, an agent (manager and above) or an observer (a viewer, watch-only). */
  role: "visitor" | "agent" | "observer";
  /** Staff id (user or key) for agents and observers, visitor id for visitors. */
  participantId: string;
  /** For a staff socket opened with a key's token: which value of the key it came from. */
  keyFingerprint?: string | null;
  /** An agent's display name, when they have one. */
  participantName?: string | null;
  /** A visitor's rate-limit subject, fixed by the Worker at the upgrade (`limits/socket-limits.ts`). */
  rateSubject?: string | null;
  connectedAt: string;
}

/**
 * Who the Worker's upgrade request says is on the socket (`x-conversation-*` headers, set by the
 * Worker after it checked the token; a client's own values never get this far).
 */
export function attachmentFromUpgrade(headers: Headers, connectedAt: string): SocketAttachment {
  const roleHeader = headers.get("x-conversation-role");
  const encodedName = headers.get("x-conversation-participant-name");
  return {
    role: roleHeader === "agent" || roleHeader === "observer" ? roleHeader : "visitor",
    participantId: headers.get("x-conversation-participant") ?? "unknown",
    participantName: encodedName ? decodeURIComponent(encodedName) : null,
    keyFingerprint: headers.get("x-conversation-key-fingerprint"),
    rateSubject: headers.get("x-conversation-rate-subject"),
    connectedAt,
  };
}

/** A frame the protocol accepts, or the `error` event that answers one it refuses. */
export type FrameParse = { frame: ClientFrame } | { error: ServerEvent };

/** Reads one socket frame: at most MAX_FRAME_BYTES of JSON that `ClientFrame` accepts. */
export function parseClientFrame(data: string | ArrayBuffer): FrameParse {
  const size = typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength;
  if (size > MAX_FRAME_BYTES) {
    return { error: { type: "error", code: "frame_too_large", message: `frames are limited to ${MAX_FRAME_BYTES} bytes` } };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
  } catch {
    return { error: { type: "error", code: "invalid_frame", message: "frames must be JSON" } };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) return { error: { type: "error", code: "invalid_frame", message: parsed.error.issues[0]?.message ?? "invalid frame" } };
  return { frame: parsed.data };
}

/** The `typing` event announcing that a socket's participant types. */
export function typingEventOf(role: SocketAttachment["role"]): ServerEvent {
  return { type: "typing", sender_type: role === "agent" ? "human_agent" : "visitor" };
}
