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
  /** After this instant (epoch ms) tokens under this key are refused (`ERR_REFRESH_TOKEN_KEY_RETIRED`). */
  readonly retiresAt?: number
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
