import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import Provider from "oidc-provider";
import { listenLocally, readBody, type RunningFake } from "./fake-http";

/**
 * Identity providers for the single sign-on tests, on one local port:
 *
 * - the real OpenID provider `oidc-provider` (panva), issuer `<url>`, with its development
 *   interactions (a login form that takes any account name, then consent). An account named by
 *   an email signs in with that email, verified, unless the name starts with `unverified.`.
 *   Its client `edgedesk-sso-test` (secret `SSO_TEST_CLIENT_SECRET`) may redirect to the test
 *   Worker's callback.
 * - a misbehaving provider per mode under `<url>/rogue/<mode>` (its own issuer, discovery, JWKS,
 *   authorization and token endpoints), whose authorization endpoint signs anyone in at once
 *   and whose ID token is wrong in one way: `wrong-aud`, `wrong-nonce`, `bad-signature` (signed
 *   by a key it does not publish), `expired`; `ok` is right, so the tests show the harness works.
 *   The email it vouches for is `<client_id>@rogue.test`.
 */

/** The test client's secret at the real provider. */
export const SSO_TEST_CLIENT_SECRET = "sso-test-client-secret-0123456789";
/** The test client's id at the real provider. */
export const SSO_TEST_CLIENT_ID = "edgedesk-sso-test";
/** Where the Worker under test says its callback is (the tests call it at `http://api.test`). */
const TEST_REDIRECT_URI = "http://api.test/api/v1/auth/sso/callback";
const ROGUE_MODES = new Set(["ok", "wrong-aud", "wrong-nonce", "bad-signature", "expired"]);
const ID_TOKEN_TTL_S = 300;

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** Starts both providers; the returned URL is the real provider's issuer. */
export async function startFakeOidcServer(): Promise<RunningFake> {
  const signing = await generateKeyPair("RS256", { extractable: true });
  const impostor = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const privateJwk = { ...(await exportJWK(signing.privateKey)), kid: "k1", alg: "RS256", use: "sig" };

  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  const running = await listenLocally(server);

  const provider = new Provider(running.url, {
    clients: [
      {
        client_id: SSO_TEST_CLIENT_ID,
        client_secret: SSO_TEST_CLIENT_SECRET,
        redirect_uris: [TEST_REDIRECT_URI],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The email in the ID token itself, as Google, Okta and Entra ID send it.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        email: id.replace(/^unverified\./, ""),
        email_verified: !id.startsWith("unverified."),
        name: `Person ${id.split("@")[0]}`,
      }),
    }),
  });
  const providerHandler = provider.callback();
  const rogue = rogueProvider(running.url, signing, impostor, publicJwk);
  handle = (req, res) => {
    if (req.url?.startsWith("/rogue/")) {
      rogue(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    void providerHandler(req, res);
  };
  return running;
}

/** The misbehaving providers: one small hand-written OpenID provider per mode. */
function rogueProvider(base: string, signing: KeyPair, impostor: KeyPair, publicJwk: Record<string, unknown>) {
  const codes = new Map<string, { nonce: string; clientId: string; redirectUri: string }>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", base);
    const [, , mode = "", ...rest] = url.pathname.split("/");
    const path = `/${rest.join("/")}`;
    if (!ROGUE_MODES.has(mode)) return send(res, 404, { error: "not_found" });
    const issuer = `${base}/rogue/${mode}`;
    if (path === "/.well-known/openid-configuration") {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
      });
    }
    if (path === "/jwks") return send(res, 200, { keys: [publicJwk] });
    if (path === "/authorize") {
      const code = randomBytes(16).toString("hex");
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      codes.set(code, { nonce: url.searchParams.get("nonce") ?? "", clientId: url.searchParams.get("client_id") ?? "", redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (path === "/token" && req.method === "POST") {
      const form = new URLSearchParams((await readBody(req)).toString("utf8"));
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      if (!grant || !form.get("code_verifier") || form.get("redirect_uri") !== grant.redirectUri) return send(res, 400, { error: "invalid_grant" });
      const now = Math.floor(Date.now() / 1000);
      const expired = mode === "expired";
      const idToken = await new SignJWT({
        nonce: mode === "wrong-nonce" ? "not-the-nonce-that-was-sent" : grant.nonce,
        email: `${grant.clientId}@rogue.test`,
        email_verified: true,
      })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(issuer)
        .setSubject(grant.clientId)
        .setAudience(mode === "wrong-aud" ? "some-other-client" : grant.clientId)
        .setIssuedAt(expired ? now - 2 * ID_TOKEN_TTL_S : now)
        .setExpirationTime(expired ? now - ID_TOKEN_TTL_S : now + ID_TOKEN_TTL_S)
        .sign(mode === "bad-signature" ? impostor.privateKey : signing.privateKey);
      return send(res, 200, { access_token: randomBytes(16).toString("hex"), token_type: "Bearer", expires_in: 300, id_token: idToken });
    }
    return send(res, 404, { error: "not_found" });
  };
}
