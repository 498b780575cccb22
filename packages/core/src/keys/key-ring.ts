import type { KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { AuthError } from '../errors/index.js'
import { nodeCrypto } from './node-crypto.js'
import type {
  JWKS,
  KeyRing,
  KeyRingInput,
  RefreshKeyInput,
  SigningAlgorithm,
  SigningKey,
  SigningKeyInput,
} from './types.js'

/** The algorithms a key ring accepts. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256']

/** The smallest HMAC secret accepted, for HS256 keys and refresh MAC keys (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32

/** The smallest RSA modulus accepted for RS256. */
export const MIN_RSA_BITS = 2048

/** Refresh MAC key ids travel inside refresh tokens, so they are short and URL-safe. */
const REFRESH_KID = /^[A-Za-z0-9_-]{1,32}$/
/** Signing key ids travel in JWS headers: printable ASCII without quotes or backslashes. */
const SIGNING_KID = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/

/** JWK members that carry private or secret material; none of them ever reaches a JWKS. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

function invalid(message: string): never {
  throw new AuthError('ERR_CONFIG_INVALID', `key ring: ${message}`)
}

/**
 * Builds a key ring from keys you provide (production). Everything is validated now, so a bad
 * configuration fails at start-up, never on a request: duplicate kids, an unknown algorithm, a
 * key whose type does not match its algorithm, an HS256 or refresh secret shorter than 32 bytes,
 * an RSA modulus under 2048 bits, an active key without its private half, an active key that is
 * scheduled to retire. Each failure throws `AuthError('ERR_CONFIG_INVALID')` naming the key.
 *
 * Keys may be node:crypto `KeyObject`s, PEM strings or JWKs. On runtimes without node:crypto,
 * only JWKs (and HS256 secrets) are accepted.
 *
 * @example
 * ```ts
 * const ring = createKeyRing({
 *   signing: [{ kid: '2026-01', alg: 'EdDSA', privateKey: process.env.SIGNING_KEY_PEM }],
 *   refresh: [{ kid: 'r1', secret: refreshSecretBytes }],
 * })
 * ```
 */
export function createKeyRing(input: KeyRingInput): KeyRing {
  if (typeof input !== 'object' || input === null) invalid('expected { signing, refresh }')
  if (!Array.isArray(input.signing) || input.signing.length === 0) invalid('`signing` needs at least one key')
  if (!Array.isArray(input.refresh) || input.refresh.length === 0) invalid('`refresh` needs at least one key')

  const activeSigningKid = input.activeSigningKid ?? input.signing[0]?.kid
  const activeRefreshKid = input.activeRefreshKid ?? input.refresh[0]?.kid

  const signingKeys: SigningKey[] = []
  const signingByKid = new Map<string, SigningKey>()
  for (const keyInput of input.signing) {
    if (typeof keyInput?.kid !== 'string' || !SIGNING_KID.test(keyInput.kid)) {
      invalid(`signing kid ${JSON.stringify(keyInput?.kid)} must be 1-128 printable ASCII characters`)
    }
    if (signingByKid.has(keyInput.kid)) invalid(`duplicate signing kid "${keyInput.kid}"`)
    const key = importSigningKey(keyInput, keyInput.kid === activeSigningKid)
    signingKeys.push(key)
    signingByKid.set(key.kid, key)
  }
  const active = activeSigningKid === undefined ? undefined : signingByKid.get(activeSigningKid)
  if (!active) invalid(`activeSigningKid "${activeSigningKid}" is not among the signing keys`)
  if (active.retiresAt !== undefined) {
    invalid(`the active signing key "${active.kid}" cannot have retiresAt: make another key active first`)
  }

  const refreshByKid = new Map<string, { secret: Uint8Array; retiresAt: number | undefined; compromised: boolean }>()
  for (const keyInput of input.refresh) {
    validateRefreshKey(keyInput)
    if (refreshByKid.has(keyInput.kid)) invalid(`duplicate refresh kid "${keyInput.kid}"`)
    refreshByKid.set(keyInput.kid, {
      secret: Uint8Array.from(keyInput.secret),
      retiresAt: keyInput.retiresAt,
      compromised: keyInput.compromised === true,
    })
  }
  const activeRefresh = activeRefreshKid === undefined ? undefined : refreshByKid.get(activeRefreshKid)
  if (!activeRefresh || activeRefreshKid === undefined) {
    invalid(`activeRefreshKid "${activeRefreshKid}" is not among the refresh keys`)
  }
  if (activeRefresh.retiresAt !== undefined) {
    invalid(`the active refresh key "${activeRefreshKid}" cannot have retiresAt: make another key active first`)
  }

  const activeSigning = Object.freeze({ kid: active.kid, alg: active.alg })
  return Object.freeze({
    activeSigning,
    activeRefreshKid,
    signingKeys: Object.freeze(signingKeys),
    input,
    signingKey(kid: string, now: number) {
      const key = signingByKid.get(kid)
      if (!key) return { status: 'unknown' as const }
      if (key.retiresAt !== undefined && key.retiresAt <= now) return { status: 'retired' as const }
      return { status: 'ok' as const, key }
    },
    refreshKey(kid: string, now: number) {
      const key = refreshByKid.get(kid)
      if (!key) return { status: 'unknown' as const }
      if (key.retiresAt !== undefined && key.retiresAt <= now) {
        return key.compromised
          ? { status: 'retired' as const, retiredAt: key.retiresAt }
          : { status: 'retired' as const, retiredAt: key.retiresAt, secret: key.secret }
      }
      return { status: 'ok' as const, secret: key.secret }
    },
    jwks(now: number): JWKS {
      const keys: JWK[] = []
      for (const key of signingKeys) {
        if (!key.publicJwk) continue
        if (key.retiresAt !== undefined && key.retiresAt <= now) continue
        keys.push({ ...key.publicJwk })
      }
      return { keys }
    },
  })
}

function validateRefreshKey(keyInput: RefreshKeyInput): void {
  if (typeof keyInput?.kid !== 'string' || !REFRESH_KID.test(keyInput.kid)) {
    invalid(`refresh kid ${JSON.stringify(keyInput?.kid)} must be 1-32 characters of [A-Za-z0-9_-]`)
  }
  if (!(keyInput.secret instanceof Uint8Array)) {
    invalid(
      typeof keyInput.secret === 'string'
        ? `refresh key "${keyInput.kid}": secret must be bytes, not a string; decode the string you keep, e.g. Buffer.from(process.env.REFRESH_SECRET, 'base64') (make one with \`openssl rand -base64 32\`)`
        : `refresh key "${keyInput.kid}": secret must be a Uint8Array`,
    )
  }
  if (keyInput.secret.length < MIN_SECRET_BYTES) {
    invalid(`refresh key "${keyInput.kid}": secret must be at least ${MIN_SECRET_BYTES} bytes`)
  }
  validateRetiresAt(keyInput.retiresAt, `refresh key "${keyInput.kid}"`)
  if (keyInput.compromised !== undefined && typeof keyInput.compromised !== 'boolean') {
    invalid(`refresh key "${keyInput.kid}": compromised must be true or false`)
  }
  if (keyInput.compromised === true && keyInput.retiresAt === undefined) {
    invalid(`refresh key "${keyInput.kid}": a compromised key needs retiresAt (now, usually) and another active key`)
  }
}

function validateRetiresAt(retiresAt: unknown, what: string): void {
  if (retiresAt !== undefined && (typeof retiresAt !== 'number' || !Number.isFinite(retiresAt))) {
    invalid(`${what}: retiresAt must be epoch milliseconds`)
  }
}

/**
 * One key that only verifies (a resource server's, from a JWKS): validated and imported as the
 * key ring does, without a private part. Throws `AuthError('ERR_CONFIG_INVALID')` naming the problem.
 */
export function verificationKey(input: SigningKeyInput): SigningKey {
  return importSigningKey(input, false)
}

function importSigningKey(input: SigningKeyInput, isActive: boolean): SigningKey {
  const what = `signing key "${input.kid}"`
  if (!SIGNING_ALGORITHMS.includes(input.alg)) {
    invalid(`${what}: unknown alg ${JSON.stringify(input.alg)} (use ${SIGNING_ALGORITHMS.join(', ')})`)
  }
  validateRetiresAt(input.retiresAt, what)
  const retiresAt = input.retiresAt === undefined ? {} : { retiresAt: input.retiresAt }

  if (input.alg === 'HS256') {
    if (input.privateKey !== undefined || input.publicKey !== undefined) {
      invalid(`${what}: HS256 takes a \`secret\`, not privateKey/publicKey`)
    }
    if (input.secret === undefined) invalid(`${what}: HS256 needs a \`secret\``)
    const secret =
      typeof input.secret === 'string'
        ? new TextEncoder().encode(input.secret)
        : input.secret instanceof Uint8Array
          ? Uint8Array.from(input.secret)
          : invalid(`${what}: secret must be a string or a Uint8Array`)
    if (secret.length < MIN_SECRET_BYTES) invalid(`${what}: HS256 secret must be at least ${MIN_SECRET_BYTES} bytes`)
    const node = nodeCrypto
      ? { node: { sign: nodeCrypto.createSecretKey(secret), verify: nodeCrypto.createSecretKey(secret) } }
      : {}
    return Object.freeze({ kid: input.kid, alg: input.alg, ...retiresAt, secret, ...node, signatureLength: 32 })
  }

  if (input.secret !== undefined) invalid(`${what}: ${input.alg} takes privateKey/publicKey, not a secret`)
  if (input.privateKey === undefined && input.publicKey === undefined) {
    invalid(`${what}: needs a privateKey or a publicKey`)
  }
  if (isActive && input.privateKey === undefined) {
    invalid(`${what} is the active signing key, so it needs its privateKey`)
  }
  return nodeCrypto ? importWithNode(nodeCrypto, input, what, retiresAt) : importPortable(input, what, retiresAt)
}

type KeyMaterial = KeyObject | string | JWK

function importWithNode(
  crypto: typeof import('node:crypto'),
  input: SigningKeyInput,
  what: string,
  retiresAt: { retiresAt?: number },
): SigningKey {
  const toPrivate = (key: KeyMaterial): KeyObject => {
    try {
      if (isKeyObject(key)) return key.type === 'private' ? key : invalid(`${what}: privateKey is a ${key.type} key`)
      if (typeof key === 'string') return crypto.createPrivateKey(key)
      return crypto.createPrivateKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' })
    } catch (cause) {
      if (cause instanceof AuthError) throw cause
      return invalid(`${what}: privateKey could not be imported (${(cause as Error).message})`)
    }
  }
  const toPublic = (key: KeyMaterial): KeyObject => {
    try {
      if (isKeyObject(key)) {
        if (key.type === 'secret') invalid(`${what}: publicKey is a secret key`)
        return key.type === 'public' ? key : crypto.createPublicKey(key)
      }
      if (typeof key === 'string') return crypto.createPublicKey(key)
      return crypto.createPublicKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' })
    } catch (cause) {
      if (cause instanceof AuthError) throw cause
      return invalid(`${what}: publicKey could not be imported (${(cause as Error).message})`)
    }
  }
  const privateKey = input.privateKey === undefined ? undefined : toPrivate(input.privateKey)
  const publicKey =
    input.publicKey === undefined ? crypto.createPublicKey(privateKey as KeyObject) : toPublic(input.publicKey)
  checkNodeKeyType(publicKey, input.alg, what)
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK
  if (privateKey) {
    const derived = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JWK
    if (input.publicKey !== undefined && !sameJwk(derived, publicJwk)) {
      invalid(`${what}: publicKey does not belong to privateKey`)
    }
  }
  const privateJwk = privateKey ? (privateKey.export({ format: 'jwk' }) as JWK) : undefined
  return Object.freeze({
    kid: input.kid,
    alg: input.alg,
    ...retiresAt,
    ...(privateJwk ? { privateJwk: { ...privateJwk, kid: input.kid, alg: input.alg } } : {}),
    publicJwk: Object.freeze(publicOnly(publicJwk, input.kid, input.alg)),
    node: privateKey ? { sign: privateKey, verify: publicKey } : { verify: publicKey },
    signatureLength: signatureLength(input.alg, publicJwk),
  })
}

function checkNodeKeyType(key: KeyObject, alg: SigningAlgorithm, what: string): void {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails
  switch (alg) {
    case 'EdDSA':
      if (type !== 'ed25519') invalid(`${what}: EdDSA needs an Ed25519 key, got ${type}`)
      return
    case 'ES256':
      if (type !== 'ec' || details?.namedCurve !== 'prime256v1') {
        invalid(`${what}: ES256 needs a P-256 EC key, got ${type} ${details?.namedCurve ?? ''}`.trim())
      }
      return
    case 'RS256':
      if (type !== 'rsa') invalid(`${what}: RS256 needs an RSA key, got ${type}`)
      if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) invalid(`${what}: RS256 needs at least ${MIN_RSA_BITS}-bit RSA`)
      return
    case 'HS256':
      invalid(`${what}: HS256 takes a secret`)
      return
    default: {
      const _never: never = alg
      invalid(`${what}: unknown alg ${String(_never)}`)
    }
  }
}

/** Without node:crypto, keys come as JWKs and are checked structurally; jose imports them lazily. */
function importPortable(input: SigningKeyInput, what: string, retiresAt: { retiresAt?: number }): SigningKey {
  const asJwk = (key: KeyMaterial | undefined, name: string): JWK | undefined => {
    if (key === undefined) return undefined
    if (typeof key !== 'object' || key === null || isKeyObject(key) || typeof (key as JWK).kty !== 'string') {
      invalid(`${what}: ${name} must be a JWK on runtimes without node:crypto`)
    }
    return key as JWK
  }
  const privateJwk = asJwk(input.privateKey, 'privateKey')
  const givenPublic = asJwk(input.publicKey, 'publicKey')
  if (privateJwk && typeof privateJwk.d !== 'string') invalid(`${what}: privateKey JWK has no private part ("d")`)
  const publicJwk = publicOnly((givenPublic ?? privateJwk) as JWK, input.kid, input.alg)
  if (
    privateJwk &&
    givenPublic &&
    !sameJwk(publicOnly(privateJwk, '', input.alg), publicOnly(givenPublic, '', input.alg))
  ) {
    invalid(`${what}: publicKey does not belong to privateKey`)
  }
  const ok =
    (input.alg === 'EdDSA' &&
      publicJwk.kty === 'OKP' &&
      publicJwk.crv === 'Ed25519' &&
      typeof publicJwk.x === 'string') ||
    (input.alg === 'ES256' &&
      publicJwk.kty === 'EC' &&
      publicJwk.crv === 'P-256' &&
      typeof publicJwk.x === 'string' &&
      typeof publicJwk.y === 'string') ||
    (input.alg === 'RS256' &&
      publicJwk.kty === 'RSA' &&
      typeof publicJwk.n === 'string' &&
      typeof publicJwk.e === 'string')
  if (!ok) invalid(`${what}: the JWK does not match ${input.alg}`)
  const length = signatureLength(input.alg, publicJwk)
  if (input.alg === 'RS256' && length * 8 < MIN_RSA_BITS)
    invalid(`${what}: RS256 needs at least ${MIN_RSA_BITS}-bit RSA`)
  return Object.freeze({
    kid: input.kid,
    alg: input.alg,
    ...retiresAt,
    ...(privateJwk ? { privateJwk: { ...privateJwk, kid: input.kid, alg: input.alg } } : {}),
    publicJwk: Object.freeze(publicJwk),
    signatureLength: length,
  })
}

function signatureLength(alg: SigningAlgorithm, publicJwk: JWK): number {
  if (alg === 'RS256') {
    const n = publicJwk.n ?? ''
    // Modulus bytes, from the unpadded base64url length (leading zero bytes are stripped in JWKs).
    return Math.floor((n.length * 6) / 8)
  }
  return alg === 'HS256' ? 32 : 64
}

/** Strips every private member and sets kid/alg/use. */
function publicOnly(jwk: JWK, kid: string, alg: SigningAlgorithm): JWK {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(jwk)) {
    if ((PRIVATE_JWK_MEMBERS as readonly string[]).includes(name)) continue
    if (name === 'key_ops' || name === 'ext') continue
    out[name] = value
  }
  out.kid = kid
  out.alg = alg
  out.use = 'sig'
  return out as JWK
}

function sameJwk(a: JWK, b: JWK): boolean {
  return a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y && a.n === b.n && a.e === b.e
}

function isKeyObject(value: unknown): value is KeyObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyObject).export === 'function' &&
    typeof (value as KeyObject).type === 'string' &&
    (value as { constructor?: { name?: string } }).constructor?.name?.endsWith('KeyObject') === true
  )
}
