import type { JWK } from 'jose'

/** Access-token signing algorithms. EdDSA is the default (Ed25519). */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'HS256'

/**
 * One access-token signing key as the user provides it. `privateKey` signs (only the active
 * key needs it); `publicKey` verifies. For HS256 give `secret` instead.
 * Keys may be node:crypto `KeyObject`s, PEM strings or JWKs.
 */
export interface SigningKeyInput {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly privateKey?: import('node:crypto').KeyObject | string | JWK
  readonly publicKey?: import('node:crypto').KeyObject | string | JWK
  readonly secret?: Uint8Array | string
  /** After this instant (epoch ms) the key no longer verifies and leaves the JWKS. */
  readonly retiresAt?: number
}

/** One refresh-token MAC key: at least 32 random bytes. */
export interface RefreshKeyInput {
  readonly kid: string
  readonly secret: Uint8Array
  /**
   * After this instant (epoch ms) the key no longer rotates or replays: a current token under it
   * is refused (`ERR_REFRESH_TOKEN_KEY_RETIRED`). It still verifies (never signs) for reuse
   * detection until `retiresAt + sessionMaxAge`, so an authentic rotated-away token under it still
   * revokes its family. A key removed from the ring, or marked `compromised`, verifies nothing.
   */
  readonly retiresAt?: number
  /**
   * The key leaked: tokens under it are refused at once, with no reuse detection (a forger could
   * otherwise revoke families). Requires `retiresAt`. See docs/operations.md, "Key compromise".
   */
  readonly compromised?: boolean
}

/**
 * Keys as the user configures them: the first signing key whose `kid` is `activeSigningKid`
 * (default: the first listed) signs; every listed key not yet retired verifies. Likewise for
 * refresh MAC keys.
 */
export interface KeyRingInput {
  readonly signing: readonly SigningKeyInput[]
  readonly activeSigningKid?: string
  readonly refresh: readonly RefreshKeyInput[]
  readonly activeRefreshKid?: string
}

/** A JSON Web Key Set with public keys only. */
export interface JWKS {
  readonly keys: JWK[]
}

/**
 * One signing key as the key ring holds it, validated and imported: what the access-token codec
 * signs and verifies with. On runtimes with node:crypto, `node` holds ready `KeyObject`s; the
 * portable material (`secret` for HS256, JWKs otherwise) is always present for jose.
 */
export interface SigningKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  /** Epoch ms at which the key stops verifying and leaves the JWKS; absent = never. */
  readonly retiresAt?: number
  /** HS256 only: the shared secret. */
  readonly secret?: Uint8Array
  /** Asymmetric only: the private JWK (present when this key can sign). Never published. */
  readonly privateJwk?: JWK
  /** Asymmetric only: the public JWK, with `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk?: JWK
  /** node:crypto key objects, when the runtime has node:crypto. */
  readonly node?: {
    readonly sign?: import('node:crypto').KeyObject
    readonly verify: import('node:crypto').KeyObject
  }
  /** The signature length in bytes (32 for HS256, 64 for ES256 and EdDSA, the modulus size for RS256). */
  readonly signatureLength: number
}

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
   * `'retired'` if it retired at or before `now` (`retiredAt`). A retired key that is not
   * compromised still gives its `secret`, for reuse detection only: the engine never rotates or
   * replays under it, and stops using it at `retiredAt + sessionMaxAge`.
   */
  refreshKey(
    kid: string,
    now: number,
  ):
    | { readonly status: 'ok'; readonly secret: Uint8Array }
    | { readonly status: 'retired'; readonly retiredAt: number; readonly secret?: Uint8Array }
    | { readonly status: 'unknown' }
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
