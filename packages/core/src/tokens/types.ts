import type { AccessTokenErrorCode, Failure } from '../errors/index.js'
import type { KeyRing } from '../keys/types.js'
import type { Clock } from '../runtime.js'

/** Claims names the library owns; `issue({ claims })` refuses them. */
export const RESERVED_CLAIMS = [
  'iss',
  'aud',
  'sub',
  'iat',
  'exp',
  'nbf',
  'jti',
  'sid',
  'auth_time',
  'typ',
  'cnf',
  'client_id',
] as const

/** The verified claims of an access token. `T` is the app's own claims. */
export type AccessClaims<T extends object = Record<string, unknown>> = T & {
  readonly iss: string
  readonly aud: string | string[]
  readonly sub: string
  /** Seconds since the epoch. */
  readonly iat: number
  /** Seconds since the epoch. */
  readonly exp: number
  readonly jti: string
  /** The family id. */
  readonly sid: string
  /** Seconds since the epoch: when the subject last authenticated. */
  readonly auth_time: number
  /**
   * RFC 9068 §2.2: the client the family logged in through, or the engine's `defaultClientId`.
   * Every token this version signs has it (tokens from before it may not).
   */
  readonly client_id?: string
  /** RFC 9449 §6: the DPoP key a token of a DPoP-bound family is bound to (its thumbprint). */
  readonly cnf?: { readonly jkt: string }
}

/** Outcome of `engine.verifyAccess`. */
export type VerifyAccessResult<T extends object = Record<string, unknown>> =
  | { readonly ok: true; readonly claims: AccessClaims<T> }
  | Failure<AccessTokenErrorCode>

/** Signs and verifies access tokens (`typ: at+jwt`, RFC 9068) under a key ring. */
export interface AccessTokenCodec {
  /**
   * Signs `claims` (already complete: iss, aud, sub, iat, exp, jti, sid, auth_time and app
   * claims) with the active key; header `{ alg, typ: 'at+jwt', kid }`.
   */
  sign(claims: AccessClaims): Promise<string>
  /**
   * Verifies a compact JWS: pinned algorithms (the key's own alg only; `none` never), `typ`,
   * `kid` known and not retired, signature, `iss`, `aud`, `exp`/`iat` with leeway, claim types.
   * Never throws for any input string; returns a typed failure. Successful results may be
   * cached (an LRU keyed by the signature tail that checks the whole token on a hit; entries dropped at `exp`).
   */
  verify(token: string, now: number): Promise<VerifyAccessResult>
}

/** Options of `createAccessTokenCodec`. */
export interface AccessTokenCodecOptions {
  readonly keyRing: KeyRing
  readonly issuer: string
  readonly audience: string | readonly string[]
  /** Tolerated clock skew in milliseconds. */
  readonly leeway: number
  /** Verified-token cache: `false` turns it off. Default `{ max: 10_000 }`. */
  readonly cache?: false | { readonly max?: number }
  readonly clock?: Clock
}

/** The fields a refresh token carries (besides its MAC). */
export interface RefreshTokenFields {
  /** The refresh MAC key id. */
  readonly kid: string
  readonly familyId: string
  readonly generation: number
}

/** A refresh token parsed (not yet authenticated). */
export interface ParsedRefreshToken extends RefreshTokenFields {
  /** Format version. */
  readonly version: number
  readonly mac: Uint8Array
}
