/**
 * Verified visitors: a business's backend vouches for its signed-in user with the assistant's
 * identity secret, either as the HMAC-SHA256 of the user id (lower-case hex) or as a JWT (HS256,
 * `sub`, optional `email`, `name`, `exp`). A proof that does not check out is a 401, never a
 * quiet downgrade to an anonymous visitor.
 */
import { verify } from "hono/jwt";
import { VERIFIED_VISITOR_ID_PREFIX, VerifiedUserIdSchema, type IdentityProof, type VerifiedIdentity } from "../../../schema/api";
import { ApiError } from "../lib/errors";
import { timingSafeEqual, toHex } from "../lib/crypto";
import type { Db } from "../storage/db";
import { identitySecretOf } from "./identity-secrets";

/** Clock difference tolerated between the business's servers and ours when reading `exp`, `nbf`, `iat`. */
export const IDENTITY_CLOCK_SKEW_S = 60;
/** Longest `email` and `name` claims kept; longer ones are ignored rather than cut. */
const MAX_EMAIL_CHARS = 254; // RFC 5321's path limit
const MAX_NAME_CHARS = 200;

const encoder = new TextEncoder();

/** Lower-case hex HMAC-SHA256 of `userId` under `secret`: what a business's backend computes as `user_hash`. */
export async function userHashOf(secret: string, userId: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(userId))));
}

/** The visitor id of a verified user: namespaced, so no client can choose it (see `ClientVisitorIdSchema`). */
export function verifiedVisitorId(userId: string): string {
  return VERIFIED_VISITOR_ID_PREFIX + userId;
}

const refused = (why: string) => new ApiError("unauthorized", `identity could not be verified: ${why}`);

/**
 * The claims `proof` vouches for under the assistant's identity secret. Throws 401
 * `unauthorized` for a wrong hash, a forged, expired or not-yet-valid token, or a token signed
 * with anything but HS256; 409 `conflict` when the assistant has no identity secret (the proof
 * cannot be checked, and the caller must not take that for "anonymous"; a 409 says the
 * assistant's state, not the proof, is what has to change); 400 when a valid token's `sub`
 * cannot be a user id.
 */
export async function verifyVisitorIdentity(
  env: Pick<Env, "ENCRYPTION_KEYS">,
  db: Db,
  workspaceId: string,
  assistantId: string,
  proof: IdentityProof,
): Promise<VerifiedIdentity> {
  const secret = await identitySecretOf(env, db, workspaceId, assistantId);
  if (!secret) {
    throw new ApiError("conflict", "this assistant has no identity secret: create one with POST /api/v1/assistants/:id/identity-secret before sending identity", {
      assistant_id: assistantId,
    });
  }
  if ("user_hash" in proof) {
    const expected = await userHashOf(secret, proof.user_id);
    if (!timingSafeEqual(expected, proof.user_hash.toLowerCase())) throw refused("user_hash does not match user_id");
    return { user_id: proof.user_id };
  }
  return claimsOfToken(secret, proof.token);
}

/** The verified claims of an identity JWT, checked with hono's HS256 verifier and our clock skew. */
async function claimsOfToken(secret: string, token: string): Promise<VerifiedIdentity> {
  let payload: Record<string, unknown>;
  try {
    // Signature and algorithm (header `alg` must be HS256) by the library; times below, with skew.
    payload = await verify(token, secret, { alg: "HS256", exp: false, nbf: false, iat: false });
  } catch {
    throw refused("the token is malformed, not HS256, or not signed with this assistant's secret");
  }
  const now = Math.floor(Date.now() / 1000);
  const time = (name: string): number | undefined => {
    const v = payload[name];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw refused(`the token's ${name} is not a number`);
    return v;
  };
  const exp = time("exp");
  if (exp !== undefined && exp + IDENTITY_CLOCK_SKEW_S <= now) throw refused("the token has expired");
  const nbf = time("nbf");
  if (nbf !== undefined && nbf - IDENTITY_CLOCK_SKEW_S > now) throw refused("the token is not valid yet");
  const iat = time("iat");
  if (iat !== undefined && iat - IDENTITY_CLOCK_SKEW_S > now) throw refused("the token was issued in the future");
  const sub = VerifiedUserIdSchema.safeParse(payload.sub);
  if (!sub.success) {
    throw new ApiError("invalid_request", "the identity token's sub must be a user id of 1 to 123 letters, digits and . _ - @ : +", {
      issues: [{ path: ["identity", "token", "sub"], code: "invalid_string", message: "not a usable user id" }],
    });
  }
  const identity: VerifiedIdentity = { user_id: sub.data };
  if (typeof payload.email === "string" && payload.email.length > 0 && payload.email.length <= MAX_EMAIL_CHARS) identity.email = payload.email;
  if (typeof payload.name === "string" && payload.name.length > 0 && payload.name.length <= MAX_NAME_CHARS) identity.name = payload.name;
  return identity;
}
