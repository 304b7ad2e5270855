/**
 * Bearer tokens of the API: minted by the CLI and by tests, verified on every request. Adapter:
 * `adapters/auth/jwt.ts` (HS256 JWTs, key in the data dir); on AWS a JWT authorizer or KMS-signed
 * tokens can implement the same port. Contract suite: `test/contract/tokens.contract.ts`.
 *
 * What an adapter must guarantee:
 * - `verify` accepts exactly the tokens this adapter's `sign` made (same key) that have not
 *   expired, and returns the claims they were signed with; anything else throws BbwsError
 *   UNAUTHORIZED, and a well-signed token past its expiry throws TOKEN_EXPIRED.
 * - Expiry is judged by the clock the adapter was created with (epoch ms), never a hidden
 *   `Date.now()`: tests move that clock instead of sleeping.
 * - `verifyCached` is `verify` without a promise for tokens verified before; it never returns a
 *   principal for a token that has expired since (it throws TOKEN_EXPIRED), and returns
 *   undefined for a token it has not seen. The principals it returns are shared between calls
 *   and must not be mutated.
 */
import type { Principal, Role } from '../domain/auth.js';

export interface TokenClaims {
  role: Role;
  /** Required for `tenant-admin` (VALIDATION_FAILED otherwise). */
  tenantId?: string | null;
  /** Defaults to `tenant:<id>` or `operator`. */
  subject?: string;
}

export interface Tokens {
  /** A token valid for `ttlSeconds` from now (the adapter's clock). Throws VALIDATION_FAILED for bad claims. */
  sign(claims: TokenClaims, ttlSeconds: number): Promise<string>;
  /** Throws UNAUTHORIZED or TOKEN_EXPIRED. */
  verify(token: string): Promise<Principal>;
  /**
   * `verify` without the promise for a token verified before: its principal, or undefined when
   * this token has not been seen (then call `verify`). Throws TOKEN_EXPIRED.
   */
  verifyCached(token: string): Principal | undefined;
}
