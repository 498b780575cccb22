import { AuthError } from '../../errors/index.js'
import { NodeBuffer, nodeCrypto } from '../../keys/node-crypto.js'
import type { SigningKey } from '../../keys/types.js'
import type { AccessClaims, AccessTokenCodec, AccessTokenCodecOptions, VerifyAccessResult } from '../types.js'
import { createVerifiedCache } from './cache.js'
import { createClaimsCheck } from './claims.js'
import { fail } from './failures.js'
import {
  compactSecondDot,
  createHeaderResolver,
  isCanonicalSignature,
  type KeyEntry,
  keyEntry,
  utf8Decoder,
} from './header.js'
import { createJoseJws } from './jose-jws.js'
import { nodeSigner, nodeVerifier } from './node-jws.js'

/** Access tokens longer than this (in characters) are refused before any work. */
export const MAX_ACCESS_TOKEN_LENGTH = 8192

/**
 * Which implementation signs and verifies: `'node'` uses node:crypto directly (the fast path),
 * `'jose'` uses jose and Web Crypto (any runtime). `'auto'` (the default) picks node:crypto when
 * the runtime has it. Both are proven equivalent by differential tests.
 */
export type AccessTokenImplementation = 'auto' | 'node' | 'jose'

/** {@link AccessTokenCodecOptions} plus the choice of implementation. */
export interface CreateAccessTokenCodecOptions extends AccessTokenCodecOptions {
  readonly implementation?: AccessTokenImplementation
}

type Result = VerifyAccessResult

const encoder = new TextEncoder()

/**
 * Creates the access-token codec over a key ring: `sign` writes a compact JWS with header
 * `{ alg, typ: 'at+jwt', kid }` under the active key; `verify` checks it as RFC 9068 and
 * DESIGN.md say, returning a typed failure (never throwing) for any input.
 *
 * On Node the compact JWS is signed and verified with node:crypto directly (jose's Web Crypto
 * path is many times slower there); elsewhere jose does it. Successful verifications are kept in
 * an LRU cache keyed by the token's signature tail (a hit must present the whole token); each entry dies at the token's `exp`, and `exp` and the
 * key's retirement are checked again on every hit. `cache: false` turns it off.
 *
 * Failure codes (stable):
 * - ERR_ACCESS_TOKEN_MISSING: the empty string.
 * - ERR_ACCESS_TOKEN_MALFORMED: not a string; longer than MAX_ACCESS_TOKEN_LENGTH; not three
 *   dot-separated segments; a header that is not base64url JSON object with string alg/typ/kid;
 *   a signature segment that is not canonical base64url of the algorithm's length; and, once the
 *   signature is valid, a payload that is not a JSON object or claims of the wrong type (exp, iat,
 *   auth_time, nbf not finite numbers; sub, sid, jti not non-empty strings; iss not a string; aud
 *   not a string or an array of strings). So `exp: "…"` is MALFORMED when correctly signed, and
 *   INVALID (bad signature) otherwise.
 * - ERR_ACCESS_TOKEN_INVALID: alg not the key's own (so `none` in any case and HS/RS confusion),
 *   typ not at+jwt, kid unknown or retired, `crit` present, bad signature, wrong iss, no
 *   configured audience in aud, iat or nbf in the future beyond the leeway.
 * - ERR_ACCESS_TOKEN_EXPIRED: a valid token whose exp <= now - leeway.
 *
 * Throws `AuthError('ERR_CONFIG_INVALID')` for bad options (empty issuer or audience, negative
 * leeway, a bad cache size).
 */
export function createAccessTokenCodec(options: CreateAccessTokenCodecOptions): AccessTokenCodec {
  const { keyRing } = options
  const implementation = options.implementation ?? 'auto'
  const crypto = implementation === 'jose' ? undefined : nodeCrypto
  const { verify } = createAccessTokenVerify({ ...options, keys: keyRing.signingKeys })
  const activeKey = keyRing.signingKeys.find((key) => key.kid === keyRing.activeSigning.kid)
  if (!activeKey) config(`the active signing key "${keyRing.activeSigning.kid}" is not in the key ring`)
  if (crypto && !activeKey.node?.sign) config(`the active signing key "${activeKey.kid}" cannot sign`)
  const Buf = crypto ? NodeBuffer : undefined
  const jose = createJoseJws()
  const activeHeaderB64 = keyEntry(activeKey).headerB64
  const nodeSign = crypto && activeKey.node?.sign ? nodeSigner(crypto, activeKey.alg, activeKey.node.sign) : undefined

  return {
    sign(claims: AccessClaims): Promise<string> {
      if (nodeSign && Buf) {
        const signingInput = `${activeHeaderB64}.${Buf.from(JSON.stringify(claims), 'utf8').toString('base64url')}`
        return Promise.resolve(`${signingInput}.${nodeSign(signingInput)}`)
      }
      return jose.sign(activeKey, encoder.encode(JSON.stringify(claims)))
    },
    verify,
  }
}

/** Options of {@link createAccessTokenVerify}: the codec's, with the keys to verify with instead of a key ring. */
export interface AccessTokenVerifyOptions extends Omit<CreateAccessTokenCodecOptions, 'keyRing'> {
  /** The keys that verify (public keys are enough; HS256 needs its secret). */
  readonly keys: readonly SigningKey[]
}

/**
 * The verifying half of the codec, on its own: what `createAccessTokenCodec` verifies with, and
 * what a resource server's verifier (`@auth/core/verifier`) builds from a JWKS. One set of checks
 * for both (see {@link createAccessTokenCodec} for the failure codes); `fail.kid` tells a caller
 * that the key is unknown (a verifier then refetches its JWKS).
 */
export function createAccessTokenVerify(options: AccessTokenVerifyOptions): Pick<AccessTokenCodec, 'verify'> {
  const { keys, issuer, leeway } = options
  if (typeof issuer !== 'string' || issuer.length === 0) config('issuer must be a non-empty string')
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])]
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    config('audience must be a non-empty string or a non-empty array of them')
  }
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
    config('leeway must be a finite number of milliseconds >= 0')
  }
  const implementation = options.implementation ?? 'auto'
  const crypto = implementation === 'jose' ? undefined : nodeCrypto
  if (implementation === 'node' && !crypto) config('implementation "node" needs node:crypto')
  const Buf = crypto ? NodeBuffer : undefined

  const entries: KeyEntry[] = keys.map((key) => {
    const entry = keyEntry(key)
    return crypto && key.node ? { ...entry, nodeVerify: nodeVerifier(crypto, key.alg, key.node.verify) } : entry
  })
  const resolveHeader = createHeaderResolver(entries)
  const checkClaims = createClaimsCheck({ issuer, audiences, leeway })
  const cache = createVerifiedCache(options.cache ?? {}, config)
  const jose = createJoseJws()

  /** Freezes a success (results are shared through the cache) and caches it. */
  function settle(token: string, result: Result, entry: KeyEntry, now: number): Result {
    if (!result.ok) return result
    if (Array.isArray(result.claims.aud)) Object.freeze(result.claims.aud)
    Object.freeze(result.claims)
    Object.freeze(result)
    cache?.set(token, result, entry.retiresAt, now)
    return result
  }

  /**
   * The checks both paths make before the signature, given the dots of a three-segment token: a
   * known header, a live key, a canonical signature segment.
   */
  function preflight(token: string, d1: number, d2: number, now: number): KeyEntry | Result {
    const entry = resolveHeader(token.slice(0, d1))
    if ('ok' in entry) return entry
    if (entry.retiresAt <= now) return fail.retired
    if (!isCanonicalSignature(entry, token.slice(d2 + 1))) return fail.signatureEncoding
    return entry
  }

  function verifyNode(token: string, now: number): Result {
    const d2 = compactSecondDot(token)
    if (d2 < 0) return fail.malformed
    const d1 = token.indexOf('.')
    const entry = preflight(token, d1, d2, now)
    if ('ok' in entry) return entry
    const Buffer = Buf as NonNullable<typeof Buf>
    const verify = entry.nodeVerify
    if (!verify?.(token.slice(0, d2), Buffer.from(token.slice(d2 + 1), 'base64url'))) return fail.signature
    return accept(token, Buffer.from(token.slice(d1 + 1, d2), 'base64url'), entry, now)
  }

  async function verifyJose(token: string, now: number): Promise<Result> {
    const d2 = compactSecondDot(token)
    if (d2 < 0) return fail.malformed
    const entry = preflight(token, token.indexOf('.'), d2, now)
    if ('ok' in entry) return entry
    let payloadBytes: Uint8Array
    try {
      payloadBytes = await jose.verify(entry.key, token)
    } catch {
      return fail.signature
    }
    return accept(token, payloadBytes, entry, now)
  }

  /** After a good signature, on both paths: the payload bytes as UTF-8 JSON, the claims checked, a success cached. */
  function accept(token: string, payloadBytes: Uint8Array, entry: KeyEntry, now: number): Result {
    const json = decodeUtf8(payloadBytes)
    if (json === undefined) return fail.utf8
    let payload: unknown
    try {
      payload = JSON.parse(json)
    } catch {
      return fail.payload
    }
    return settle(token, checkClaims(payload, now), entry, now)
  }

  return {
    verify(token: string, now: number): Promise<Result> {
      if (typeof token !== 'string') return Promise.resolve(fail.malformed)
      if (token.length > MAX_ACCESS_TOKEN_LENGTH) return Promise.resolve(fail.tooLong)
      if (cache) {
        const hit = cache.get(token, now)
        if (hit !== undefined) return Promise.resolve(hit)
      }
      if (token.length === 0) return Promise.resolve(fail.missing)
      if (crypto) {
        try {
          return Promise.resolve(verifyNode(token, now))
        } catch {
          return Promise.resolve(fail.malformed)
        }
      }
      return verifyJose(token, now).catch(() => fail.malformed)
    },
  }
}

/** The text of `bytes`, or undefined when they are not valid UTF-8 (RFC 7515 §5.2). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    return undefined
  }
}

function config(message: string): never {
  throw new AuthError('ERR_CONFIG_INVALID', `access token codec: ${message}`)
}
