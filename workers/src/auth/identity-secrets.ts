/**
 * Each assistant's identity secret: the key a business's backend signs its users' ids or tokens
 * with, so the platform can trust who a visitor says they are (`visitor-identity.ts`). Stored
 * sealed with `ENCRYPTION_KEYS` (`secret-box.ts`), shown once when made, never readable again.
 *
 * Rotation has no grace period: the new secret replaces the old one at once, and proofs made
 * with the old one are refused from then on. A leaked secret is the usual reason to rotate, and
 * a window in which it still works would keep the leak open; the cost is that a business
 * rotating must deploy the new secret to its backend first-hand (Intercom works the same way).
 */
import { and, eq } from "drizzle-orm";
import { randomBase62 } from "../lib/ids";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import { open, seal } from "./secret-box";

const { identity_secrets } = schema;
type KeyEnv = Pick<Env, "ENCRYPTION_KEYS">;

/** Prefix of identity secrets, so one found in a config file says what it is. */
export const IDENTITY_SECRET_PREFIX = "idsec_";
const SECRET_RANDOM_CHARS = 43; // 62^43 ≈ 2^256: a full-strength HMAC-SHA256 key

/** Associated data binding a sealed secret to its workspace and assistant. */
function sealContext(workspaceId: string, assistantId: string): string {
  return `identity-secret:${workspaceId}:${assistantId}`;
}

/** A new identity secret as it is shown once, and whether it replaced one. */
export interface NewIdentitySecret {
  secret: string;
  rotated: boolean;
  createdAt: string;
}

/**
 * Makes the assistant a new identity secret, replacing any earlier one at once (no grace
 * period, see above). 404 for an assistant of another workspace or a deleted one.
 */
export async function rotateIdentitySecret(env: KeyEnv, db: Db, workspaceId: string, assistantId: string): Promise<NewIdentitySecret> {
  await getAssistant(db, workspaceId, assistantId);
  const secret = IDENTITY_SECRET_PREFIX + randomBase62(SECRET_RANDOM_CHARS);
  const sealed = await seal(env, secret, sealContext(workspaceId, assistantId));
  const now = nowIso();
  const previous = await db
    .select({ assistant_id: identity_secrets.assistant_id })
    .from(identity_secrets)
    .where(and(eq(identity_secrets.assistant_id, assistantId), eq(identity_secrets.workspace_id, workspaceId)))
    .get();
  await db
    .insert(identity_secrets)
    .values({ assistant_id: assistantId, workspace_id: workspaceId, secret_ciphertext: sealed.ciphertext, secret_key_id: sealed.keyId, created_at: now, updated_at: now })
    .onConflictDoUpdate({
      target: identity_secrets.assistant_id,
      set: { secret_ciphertext: sealed.ciphertext, secret_key_id: sealed.keyId, created_at: now, updated_at: now },
    })
    .run();
  return { secret, rotated: previous !== undefined, createdAt: now };
}

/** The assistant's identity secret in the clear, for checking a proof; null when it has none. */
export async function identitySecretOf(env: KeyEnv, db: Db, workspaceId: string, assistantId: string): Promise<string | null> {
  const row = await db
    .select()
    .from(identity_secrets)
    .where(and(eq(identity_secrets.assistant_id, assistantId), eq(identity_secrets.workspace_id, workspaceId)))
    .get();
  if (!row) return null;
  return open(env, { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, sealContext(workspaceId, assistantId));
}
