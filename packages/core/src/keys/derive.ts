import type { KeyObject } from 'node:crypto'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import { AuthError } from '../errors/index.js'
import { createKeyRing } from './key-ring.js'
import { nodeCrypto } from './node-crypto.js'
import type { KeyRing, SigningAlgorithm, SigningKeyInput } from './types.js'

/** The shortest secret `deriveKeyRing` accepts, in characters. */
export const MIN_DERIVE_SECRET_LENGTH = 32

/** Options of {@link deriveKeyRing}. */
export interface DeriveKeyRingOptions {
  /** The access-token algorithm. Default `'EdDSA'`. RS256 cannot be derived (pass RSA keys to `createKeyRing`). */
  readonly alg?: SigningAlgorithm
}

// HKDF-SHA-256 salt: a fixed label; the secret is the input keying material. Each key gets its own `info`.
const SALT = 'auth-core/derive-key-ring/v1'
// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows (RFC 8410).
const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])
// The order of the P-256 group.
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n

/**
 * Derives a whole key ring from one secret with HKDF-SHA-256: the access-token signing key and
 * the refresh MAC key, each under its own `info`. For a quick start and for development; in
 * production pass generated keys to `createKeyRing` so that they can be rotated one at a time.
 *
 * Deterministic: every node given the same secret derives the same keys and the same kids (a
 * signing kid is the RFC 7638 thumbprint of the public key), so a cluster agrees without
 * sharing anything else. Refuses secrets shorter than 32 characters, and RS256 (an RSA key
 * cannot be derived from a seed in reasonable time). Needs node:crypto.
 *
 * @example
 * ```ts
 * const ring = deriveKeyRing(process.env.AUTH_SECRET!) // EdDSA
 * ```
 */
export function deriveKeyRing(secret: string, options: DeriveKeyRingOptions = {}): KeyRing {
  const alg = options.alg ?? 'EdDSA'
  if (typeof secret !== 'string' || secret.length < MIN_DERIVE_SECRET_LENGTH) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `deriveKeyRing: the secret must be a string of at least ${MIN_DERIVE_SECRET_LENGTH} characters (use 32+ random bytes, e.g. \`openssl rand -base64 32\`)`,
    )
  }
  const crypto = nodeCrypto
  if (!crypto) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      'deriveKeyRing needs node:crypto; on this runtime pass JWKs and secrets to createKeyRing',
    )
  }
  const ikm = new TextEncoder().encode(secret)
  const hkdf = (info: string, length: number): Uint8Array =>
    new Uint8Array(crypto.hkdfSync('sha256', ikm, SALT, `auth-core ${info}`, length))

  const refreshKid = encodeBase64urlNoPadding(hkdf('refresh-mac kid', 8))
  const refresh = [{ kid: refreshKid, secret: hkdf('refresh-mac key', 32) }]

  let signing: SigningKeyInput
  switch (alg) {
    case 'HS256': {
      const kid = encodeBase64urlNoPadding(hkdf('access-token HS256 kid', 16))
      signing = { kid, alg, secret: hkdf('access-token HS256 key', 32) }
      break
    }
    case 'EdDSA': {
      const seed = hkdf('access-token EdDSA seed', 32)
      const der = new Uint8Array(ED25519_PKCS8_PREFIX.length + 32)
      der.set(ED25519_PKCS8_PREFIX)
      der.set(seed, ED25519_PKCS8_PREFIX.length)
      const privateKey = crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
      signing = { kid: thumbprint(crypto, privateKey), alg, privateKey }
      break
    }
    case 'ES256': {
      // FIPS 186-5 A.2.1 style: 48 bytes reduced into [1, n-1], so every secret gives a valid scalar.
      const wide = hkdf('access-token ES256 scalar', 48)
      const d = (BigInt(`0x${Buffer.from(wide).toString('hex')}`) % (P256_N - 1n)) + 1n
      const dBytes = Buffer.from(d.toString(16).padStart(64, '0'), 'hex')
      const ecdh = crypto.createECDH('prime256v1')
      ecdh.setPrivateKey(dBytes)
      const point = ecdh.getPublicKey() // 0x04 || x || y
      const privateKey = crypto.createPrivateKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          d: dBytes.toString('base64url'),
          x: point.subarray(1, 33).toString('base64url'),
          y: point.subarray(33, 65).toString('base64url'),
        },
        format: 'jwk',
      })
      signing = { kid: thumbprint(crypto, privateKey), alg, privateKey }
      break
    }
    case 'RS256':
      throw new AuthError(
        'ERR_CONFIG_INVALID',
        'deriveKeyRing cannot derive RS256 keys; use EdDSA or ES256, or pass RSA keys to createKeyRing',
      )
    default: {
      const _never: never = alg
      throw new AuthError('ERR_CONFIG_INVALID', `deriveKeyRing: unknown alg ${JSON.stringify(_never)}`)
    }
  }
  return createKeyRing({ signing: [signing], refresh })
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of the key's public half. */
function thumbprint(crypto: typeof import('node:crypto'), privateKey: KeyObject): string {
  const jwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' })
  const canonical =
    jwk.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })
  return crypto.createHash('sha256').update(canonical).digest('base64url')
}
