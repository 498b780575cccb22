// DPoP proofs (RFC 9449), checked point by point as §4.3 lists them, with jose doing the JWS
// work (the embedded key, the signature, `crit`): one implementation for the engine, the http
// layer and the verifier; stateless server nonces; the bounded replay cache of resource requests.
import { constantTimeEqual } from '@oslojs/crypto/subtle'
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type CryptoKey as JoseKey,
  type JWK,
  type JWSHeaderParameters,
  jwtVerify,
} from 'jose'
import { type Failure, failure } from '../errors/index.js'
import { hmacSha256 } from './refresh-token.js'

/** The proof algorithms accepted by default: asymmetric only, so never `none` and never an HMAC. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as const

/** The longest proof read (an RSA-4096 key in the header fits with room to spare). */
export const MAX_DPOP_PROOF_LENGTH = 8192

/** What a proof must match: the request as the server publicly sees it. */
export interface DpopProofRequest {
  /** The request's method (`htm`). */
  readonly method: string
  /**
   * The request's public URL (`htu`): a configured public URL or the trust-proxy-resolved one,
   * never raw `X-Forwarded-*` headers. Query and fragment are ignored, as the RFC says.
   */
  readonly url: string
  /** The access token the request presents (a resource request): the proof must carry its hash (`ath`). */
  readonly accessToken?: string
  /** When the server asks for nonces: whether `nonce` (the claim, possibly absent) is one it issued and still accepts. */
  readonly nonce?: (nonce: unknown) => boolean | Promise<boolean>
}

/** How strict the time checks are. */
export interface DpopProofOptions {
  /** Epoch milliseconds. */
  readonly now: number
  /** How old a proof's `iat` may be, ms. Default 60 s. */
  readonly maxAge?: number
  /** How far in the future a proof's `iat` may be (clock skew), ms. Default 5 s. */
  readonly leeway?: number
  /** Accepted `alg` values. Default {@link DPOP_ALGORITHMS}; symmetric ones and `none` are never accepted. */
  readonly algorithms?: readonly string[]
}

/** An accepted proof: the key's thumbprint (`jkt`, RFC 7638) and what replay checks need. */
export interface DpopProof {
  readonly ok: true
  readonly jkt: string
  readonly jti: string
  /** Seconds since the epoch. */
  readonly iat: number
  /** The proof's `nonce` claim, when it is a string (checked only when the request asked). */
  readonly nonce: string | undefined
}

/** Codes of a refused proof: invalid (`invalid_dpop_proof`), or a fresh server nonce is needed (`use_dpop_nonce`). */
export type DpopProofErrorCode = 'ERR_DPOP_PROOF_INVALID' | 'ERR_DPOP_NONCE_REQUIRED'

export type DpopProofResult = DpopProof | Failure<DpopProofErrorCode>

const UTF8 = new TextEncoder()
const invalid = (message: string) => failure('ERR_DPOP_PROOF_INVALID', `DPoP proof: ${message}`)
const SYMMETRIC = /^(HS|none$)/i
/** JWK members that only a private (or symmetric) key has (RFC 7518 §6). */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])

/**
 * Checks a `DPoP` header value against the request (RFC 9449 §4.3): one well-formed JWT of
 * `typ: dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` (a private member is refused)
 * that verifies the signature, `jti`, `htm` equal to the method, `htu` equal to the URL (both
 * normalised, query and fragment dropped), `iat` inside the window, `ath` equal to the access
 * token's hash when one is presented, and the server's nonce when it asks for one. Replay of a
 * `jti` is the caller's check (the family record for refreshes, a bounded cache for resources).
 */
export async function verifyDpopProof(
  proof: string | null | undefined,
  request: DpopProofRequest,
  options: DpopProofOptions,
): Promise<DpopProofResult> {
  if (typeof proof !== 'string' || proof === '') return invalid('missing')
  if (proof.length > MAX_DPOP_PROOF_LENGTH || proof.includes(',')) return invalid('not one well-formed JWT')
  const algorithms = (options.algorithms ?? DPOP_ALGORITHMS).filter((alg) => !SYMMETRIC.test(alg))
  try {
    const header = decodeProtectedHeader(proof)
    const members = header.jwk !== null && typeof header.jwk === 'object' ? Object.keys(header.jwk) : []
    if (members.some((member) => PRIVATE_MEMBERS.has(member))) return invalid('the jwk has a private part')
  } catch {
    return invalid('not one well-formed JWT')
  }
  let payload: Record<string, unknown>
  let jwk: JWK
  try {
    const verified = await jwtVerify(proof, embeddedKey, {
      typ: 'dpop+jwt',
      algorithms,
      currentDate: new Date(options.now),
    })
    payload = verified.payload as Record<string, unknown>
    jwk = verified.protectedHeader.jwk as JWK
  } catch (error) {
    return invalid(reasonOf(error))
  }
  const { jti, htm, htu, iat } = payload
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) return invalid('jti is missing')
  if (htm !== request.method) return invalid('htm does not match the request method')
  const presented = typeof htu === 'string' ? normalizeHtu(htu) : null
  if (presented === null || presented !== normalizeHtu(request.url))
    return invalid('htu does not match the request URL')
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return invalid('iat is missing')
  const maxAge = options.maxAge ?? 60_000
  const leeway = options.leeway ?? 5_000
  if (iat * 1000 > options.now + leeway) return invalid('iat is in the future')
  if (iat * 1000 < options.now - maxAge - leeway) return invalid('the proof is too old')
  if (request.accessToken !== undefined) {
    const ath = payload.ath
    const want = await accessTokenHash(request.accessToken)
    if (typeof ath !== 'string' || !constantTimeEqual(UTF8.encode(ath), UTF8.encode(want))) {
      return invalid('ath does not match the access token')
    }
  }
  if (request.nonce !== undefined && !(await request.nonce(payload.nonce))) {
    return failure('ERR_DPOP_NONCE_REQUIRED', 'DPoP proof: use the nonce the server gave (DPoP-Nonce)')
  }
  const nonce = typeof payload.nonce === 'string' ? payload.nonce : undefined
  return { ok: true, jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat, nonce }
}

/**
 * Clients sign many proofs with one key: its imported form (jose's EmbeddedJWK, which also
 * refuses a private key and a `use` or `alg` that does not fit) is kept per JWK and algorithm,
 * at most 1,000 keys, oldest first out. An import costs more than the signature check.
 */
const importedKeys = new Map<string, Promise<JoseKey>>()
const MAX_IMPORTED_KEYS = 1000

function embeddedKey(header: JWSHeaderParameters, token: Parameters<typeof EmbeddedJWK>[1]): Promise<JoseKey> {
  const id = `${String(header.alg)}.${JSON.stringify(header.jwk)}`
  let key = importedKeys.get(id)
  if (key === undefined) {
    key = EmbeddedJWK(header, token) as Promise<JoseKey>
    key.catch(() => importedKeys.delete(id))
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string)
    importedKeys.set(id, key)
  }
  return key
}

/** Why jose refused, in words safe to show (never the proof itself). */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code
  switch (code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the alg is not an allowed asymmetric algorithm'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature does not verify with its jwk'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `a claim is invalid (${String((error as { claim?: unknown }).claim ?? 'typ')})`
    case 'ERR_JWT_EXPIRED':
      return 'the proof has expired'
    default:
      return 'not a well-formed proof with a public jwk'
  }
}

/**
 * `htu` as RFC 9449 compares it: scheme and host in lower case, the default port dropped, the
 * path with its percent-escapes in upper case and unreserved characters decoded (RFC 3986
 * §6.2.2), no query or fragment. Null when it is not an http(s) URL.
 */
export function normalizeHtu(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null
  const path = parsed.pathname.replace(/%[0-9a-f]{2}/gi, (percent) => {
    const char = String.fromCharCode(Number.parseInt(percent.slice(1), 16))
    return /[A-Za-z0-9\-._~]/.test(char) ? char : percent.toUpperCase()
  })
  return `${parsed.protocol}//${parsed.host}${path}`
}

/** `ath`: the unpadded base64url SHA-256 of the access token (RFC 9449 §4.2). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', UTF8.encode(accessToken))
  return encodeBase64urlNoPadding(new Uint8Array(digest))
}

/**
 * Stateless server nonces (`DPoP-Nonce`): an HMAC over a time bucket, so any node holding the
 * key accepts another's, with nothing stored. A nonce is accepted in its bucket and the next.
 */
export interface DpopNonces {
  /** The nonce to send now. */
  current(now: number): Promise<string>
  /** Whether `nonce` was issued in this bucket or the one before, under a key still in use. */
  accepts(nonce: unknown, now: number): Promise<boolean>
}

/** The keys nonces are MAC'd with: the active one's id, and any id's key while it is in use (null after). */
export interface DpopNonceKeys {
  readonly activeKid: () => string
  readonly key: (kid: string, now: number) => Uint8Array | null
}

/** `<kid>.<bucket, base 36>.<43 characters of MAC>`. */
const NONCE = /^([A-Za-z0-9_-]{1,32})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/

/**
 * Creates {@link DpopNonces} under `keys` (the engine passes its refresh MAC keys, so nonces
 * follow the key ring's rotation; a resource server passes one secret), with buckets of
 * `bucketMs` (default 30 s, so a nonce lives 30 to 60 s).
 */
export function createDpopNonces(keys: DpopNonceKeys | Uint8Array, bucketMs = 30_000): DpopNonces {
  const ring: DpopNonceKeys = keys instanceof Uint8Array ? { activeKid: () => '0', key: () => keys } : keys
  const mac = (key: Uint8Array, kid: string, bucket: string) => hmacSha256(key, `dpop-nonce1.${kid}.${bucket}`)
  return {
    async current(now) {
      const kid = ring.activeKid()
      const key = ring.key(kid, now)
      if (key === null) throw new Error(`@auth/core: the active nonce key "${kid}" is not in use`)
      const bucket = Math.floor(now / bucketMs).toString(36)
      return `${kid}.${bucket}.${encodeBase64urlNoPadding(await mac(key, kid, bucket))}`
    },
    async accepts(nonce, now) {
      if (typeof nonce !== 'string') return false
      const match = NONCE.exec(nonce)
      if (match === null) return false
      const [, kid, bucket, given] = match as unknown as [string, string, string, string]
      const age = Math.floor(now / bucketMs) - Number.parseInt(bucket, 36)
      if (age !== 0 && age !== 1) return false
      const key = ring.key(kid, now)
      if (key === null) return false
      return constantTimeEqual(decodeBase64urlIgnorePadding(given), await mac(key, kid, bucket))
    },
  }
}

/** What a replay cache says about a proof's `jti`. */
export type DpopReplayVerdict = 'fresh' | 'replayed' | 'full'

/**
 * A bounded in-memory cache of proof ids (per key), for resource requests. When it is full of
 * ids still inside their window it answers `'full'` (the caller then asks for a nonce), rather
 * than silently forgetting one and letting its replay through.
 */
export interface DpopReplayCache {
  check(jkt: string, jti: string, now: number): DpopReplayVerdict
  readonly size: number
}

/** Creates a {@link DpopReplayCache} of at most `max` ids, each kept `windowMs` (the proof window: max age + leeway). */
export function createDpopReplayCache(max = 10_000, windowMs = 65_000): DpopReplayCache {
  const seen = new Map<string, number>() // id -> forget after; insertion order is expiry order
  return {
    check(jkt, jti, now) {
      const id = `${jkt}.${jti}`
      const until = seen.get(id)
      if (until !== undefined && until > now) return 'replayed'
      for (const [old, expiry] of seen) {
        if (expiry > now) break
        seen.delete(old)
      }
      if (seen.size >= max) return 'full'
      seen.set(id, now + windowMs)
      return 'fresh'
    },
    get size() {
      return seen.size
    },
  }
}
