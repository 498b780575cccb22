import type { AccessClaims, Clock, VerifyAccessResult } from '../engine/types.js'
import type { JWKS, KeyRingInput, SigningAlgorithm, SigningKey } from '../keys/types.js'

/**
 * The key ring as the engine uses it (built by `createKeyRing(input)` or, for a quick start,
 * `deriveKeyRing(secret)` in keys/). One signing key is active; every key not yet retired
 * verifies. Likewise one refresh MAC key is active and older ones still authenticate.
 */
export interface KeyRing {
  /** The kid and algorithm new access tokens are signed with. */
  readonly activeSigning: { readonly kid: string; readonly alg: SigningAlgorithm }
  /** The kid of the refresh MAC key new refresh tokens are issued under. */
  readonly activeRefreshKid: string
  /**
   * The refresh MAC key for `kid` at time `now` (epoch ms): `'unknown'` if no such key,
   * `'retired'` if it retired at or before `now`.
   */
  refreshKey(
    kid: string,
    now: number,
  ): { readonly status: 'ok'; readonly secret: Uint8Array } | { readonly status: 'unknown' | 'retired' }
  /** Every signing key of the ring, retired or not (the codec checks `retiresAt` per verify). */
  readonly signingKeys: readonly SigningKey[]
  /**
   * The signing key for `kid` at time `now` (epoch ms): `'unknown'` if no such key, `'retired'`
   * if it retired at or before `now`.
   */
  signingKey(
    kid: string,
    now: number,
  ): { readonly status: 'ok'; readonly key: SigningKey } | { readonly status: 'unknown' | 'retired' }
  /** Public keys only (never a private key or an HMAC secret), of keys not retired at `now`. */
  jwks(now: number): JWKS
  /** The input this ring was built from, for rebuilding with a key added or retired. */
  readonly input: KeyRingInput
}

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
   * cached (LRU keyed by the token, entries dropped at `exp`).
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
