import type { KeyObject } from 'node:crypto'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import { AuthError } from '../errors/index.js'
import { createKeyRing, MIN_SECRET_BYTES, SIGNING_ALGORITHMS } from './key-ring.js'
import { nodeCrypto } from './node-crypto.js'
import type { KeyRing, SigningAlgorithm, SigningKeyInput } from './types.js'

/** The shortest secret `deriveKeyRing` accepts, in characters. */
export const MIN_DERIVE_SECRET_LENGTH = 32

/** Options of {@link deriveKeyRing}. */
export interface DeriveKeyRingOptions {
  /** The access-token algorithm. Default `'EdDSA'`. RS256 cannot be derived (pass RSA keys to `createKeyRing`). */
  readonly alg?: SigningAlgorithm
  /**
   * Accept a secret that is not 32 random bytes (a passphrase, `'a'.repeat(32)`). Key ids derived
   * from the secret appear in every token, so a guessable secret can be tested offline against
   * them: only for a throwaway demo.
   */
  readonly dangerouslyAllowWeakSecret?: boolean
}

const HOW_TO_MAKE_ONE =
  'make one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`)'

/**
 * The bytes a secret string encodes, if it is base64, base64url or hex (what `openssl rand`
 * prints), else null. Only used to judge the secret's strength: derivation uses the string's
 * UTF-8 as it always did, so existing key ids and sessions survive.
 */
function encodedBytes(secret: string): Uint8Array | null {
  const text = secret.trim()
  if (/^(?:[0-9a-fA-F]{2})+$/.test(text)) return Uint8Array.from(Buffer.from(text, 'hex'))
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) || /^[A-Za-z0-9_-]+$/.test(text)) {
    if (text.replace(/=+$/, '').length % 4 === 1) return null
    // Random base64 mixes upper and lower case (a 43-character one lacks either with odds of
    // about 2^-32); words joined by hyphens do not.
    if (!/[A-Z]/.test(text) || !/[a-z]/.test(text)) return null
    return Uint8Array.from(Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64'))
  }
  return null
}

/**
 * Why `bytes` cannot be a random 32-byte secret, or null. Random bytes have many distinct values
 * (32 random bytes: about 30 of 256); `'a'.repeat(44)` decodes to three.
 */
function weakness(bytes: Uint8Array): string | null {
  if (bytes.length < MIN_SECRET_BYTES) return `it encodes only ${bytes.length} bytes`
  if (new Set(bytes).size < 16) return 'its bytes repeat like a pattern, not like random bytes'
  return null
}

/**
 * Checks that `secret` is 32+ random bytes: a Uint8Array, or a string in base64, base64url or hex.
 * Returns the key material to derive from (a string's UTF-8, as before; the bytes themselves).
 */
function secretMaterial(secret: unknown, allowWeak: boolean): Uint8Array {
  const refuse = (why: string): never => {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `secret: ${why}. Give 32 random bytes, as a Uint8Array or a base64, base64url or hex string; ${HOW_TO_MAKE_ONE}. Key ids derived from it are in every token, so a guessable secret can be tested offline (dangerouslyAllowWeakSecret: true accepts it, for a throwaway demo only)`,
    )
  }
  if (secret instanceof Uint8Array) {
    const problem = weakness(secret)
    if (problem !== null && !allowWeak) refuse(`the Uint8Array is not 32 random bytes (${problem})`)
    return secret
  }
  if (typeof secret !== 'string') return refuse(`must be a string or a Uint8Array, not ${typeof secret}`)
  if (secret.length < MIN_DERIVE_SECRET_LENGTH && !allowWeak) {
    refuse(`it is ${secret.length} characters long, shorter than ${MIN_DERIVE_SECRET_LENGTH}`)
  }
  if (!allowWeak) {
    const bytes = encodedBytes(secret)
    if (bytes === null) refuse('it is not base64, base64url or hex (a passphrase, however long, is guessable)')
    const problem = weakness(bytes as Uint8Array)
    if (problem !== null) refuse(problem)
  }
  return new TextEncoder().encode(secret)
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
 * sharing anything else. The secret must be 32+ random bytes: a Uint8Array, or a string that is
 * their base64, base64url or hex (what `openssl rand -base64 32` prints); anything else is refused
 * unless `dangerouslyAllowWeakSecret` is set. A string is derived from as its UTF-8, so the keys
 * of an existing secret do not change. Refuses RS256 (an RSA key cannot be derived from a seed in
 * reasonable time). Needs node:crypto.
 *
 * @example
 * ```ts
 * const ring = deriveKeyRing(process.env.AUTH_SECRET!) // EdDSA
 * ```
 */
export function deriveKeyRing(secret: string | Uint8Array, options: DeriveKeyRingOptions = {}): KeyRing {
  const alg = options.alg ?? 'EdDSA'
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `algorithm: ${JSON.stringify(alg)} is not one of ${SIGNING_ALGORITHMS.join(', ')} (names as in JOSE: 'EdDSA' for Ed25519)`,
    )
  }
  const crypto = nodeCrypto
  if (!crypto) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      'deriveKeyRing needs node:crypto; on this runtime pass JWKs and secrets to createKeyRing',
    )
  }
  const ikm = secretMaterial(secret, options.dangerouslyAllowWeakSecret === true)
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
