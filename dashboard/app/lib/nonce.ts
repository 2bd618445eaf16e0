/**
 * The nonce of the document being rendered, for the inline scripts Remix writes (its context,
 * scroll restoration); the Content-Security-Policy allows only scripts carrying it. Set by
 * `entry.server`; in the browser there is none to give, and none is needed after hydration.
 */
import { createContext, useContext } from "react";

/** Carries the nonce from `entry.server` to the document's script elements. */
export const NonceContext = createContext<string | undefined>(undefined);

/** The nonce of this document on the server; undefined in the browser. */
export function useNonce(): string | undefined {
  return useContext(NonceContext);
}
