/** Roles of dashboard users and secret keys, weakest first. */
export const ROLES = ["viewer", "manager", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, resolved once per request by `authenticate`. */
export type Principal =
  | {
      kind: "user";
      workspaceId: string;
      userId: string;
      role: Role;
      /** The sign-in the access token belongs to (null in tokens from before sign-ins were named; absent where no token was presented). */
      sessionId?: string | null;
    }
  | { kind: "secret_key"; workspaceId: string; keyId: string; role: Role }
  | { kind: "publishable_key"; workspaceId: string; keyId: string; assistantId: string; allowedOrigins: string[] }
  | {
      kind: "conversation";
      workspaceId: string;
      conversationId: string;
      assistantId: string;
      visitorId: string;
      role: "visitor" | "agent" | "observer";
      /** The staff member behind an agent or observer token; null for visitors. */
      agentId: string | null;
      /** For a token issued to a secret key, which value of that key it came from. */
      keyFingerprint?: string | null;
      /** For a visitor token issued through a publishable key, that key (rate limits count per key and address). */
      publishableKeyId?: string | null;
    };

/** True when `role` is at least `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** The id written to audit logs and `created_by` for this principal. */
export function actorOf(p: Principal): { actor_type: "user" | "api_key" | "system"; actor_id: string } {
  switch (p.kind) {
    case "user":
      return { actor_type: "user", actor_id: p.userId };
    case "secret_key":
    case "publishable_key":
      return { actor_type: "api_key", actor_id: p.keyId };
    case "conversation":
      return { actor_type: "system", actor_id: p.conversationId };
  }
}
