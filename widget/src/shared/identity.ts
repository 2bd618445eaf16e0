/** Who the visitor is, kept by the loader and the app alike: merging calls, and the user a proof names. */
import type { VisitorIdentity } from "./types";

/** `prev` updated by `who`; a new proof replaces the old one whole (a token, or an id with its hash). */
export function mergeIdentity(prev: VisitorIdentity | null, who: VisitorIdentity): VisitorIdentity {
  const next: VisitorIdentity = { ...prev, ...who };
  if (who.token) {
    delete next.user_id;
    delete next.user_hash;
  } else if (who.user_id !== undefined || who.user_hash !== undefined) {
    delete next.token;
  }
  return next;
}

/** The proof to send the platform (`identity`), or null for an anonymous visitor. */
export function proofOf(who: VisitorIdentity): { token: string } | { user_id: string; user_hash: string } | null {
  if (who.token) return { token: who.token };
  return who.user_id && who.user_hash ? { user_id: who.user_id, user_hash: who.user_hash } : null;
}

/**
 * The user a proof names (a token's `sub`, read but not checked: the platform checks it), or null
 * when there is no proof. Only used to tell one user from the next on a shared device.
 */
export function userOf(who: VisitorIdentity): string | null {
  const proof = proofOf(who);
  if (!proof) return null;
  if ("user_id" in proof) return proof.user_id;
  try {
    const part = proof.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const sub = (JSON.parse(atob(part)) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : "?";
  } catch {
    return "?"; // unreadable: the platform refuses it, and no stored conversation matches it
  }
}
