import { constantTimeEqual } from '@oslojs/crypto/subtle'
import { type Failure, failure } from '../errors/index.js'
import { nodeCrypto } from '../keys/node-crypto.js'
import type { RandomReader } from '../runtime.js'
import { decodeBase64url, encodeBase64url } from './base64url.js'
import type { ParsedRefreshToken, RefreshTokenFields } from './types.js'

/**
 * The refresh-token format, version 1:
 *
 * ```
 * rt1.<kid>.<familyId>.<generation>.<mac>
 * ```
 *
 * - `kid`: the refresh MAC key id, 1-32 characters of `[A-Za-z0-9_-]`;
 * - `familyId`: 16-64 characters of `[A-Za-z0-9_-]` (ours are 128 random bits, 22 characters);
 * - `generation`: a canonical decimal non-negative safe integer (no sign, no leading zeros);
 * - `mac`: HMAC-SHA-256, unpadded base64url (43 characters), over the bytes of
 *   `rt1.<kid>.<familyId>.<generation>.<nonce>`, where `nonce` is the family's random nonce kept
 *   only in storage. No field can contain a `.`, so the MAC input is unambiguous.
 *
 * The token is URL-safe, fits a cookie, and is about 95 characters long. Because the MAC covers
 * the family's nonce, a store leak alone or a key leak alone forges nothing, and any generation
 * ever issued can be authenticated without storing it.
 */
export const REFRESH_TOKEN_VERSION = 1

/** Refresh tokens longer than this are refused before any work. */
export const MAX_REFRESH_TOKEN_LENGTH = 256

const PREFIX = 'rt1.'
const FORMAT = /^rt1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16,64})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9_-]{43})$/
const KID = /^[A-Za-z0-9_-]{1,32}$/
const FAMILY_ID = /^[A-Za-z0-9_-]{16,64}$/
const MAC_BYTES = 32

/** The outcome of {@link parseRefreshToken}. */
export type ParseRefreshTokenResult =
  | { readonly ok: true; readonly token: ParsedRefreshToken }
  | Failure<'ERR_REFRESH_TOKEN_MALFORMED'>

function macInput(fields: RefreshTokenFields, nonce: string): string {
  return `${PREFIX}${fields.kid}.${fields.familyId}.${fields.generation}.${nonce}`
}

const webKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>()

// node:crypto re-imports a raw key on every createHmac; a KeyObject per key is ~4x faster.
const nodeKeys = new WeakMap<Uint8Array, import('node:crypto').KeyObject>()

/** HMAC-SHA-256 of `message` under `key`: node:crypto where the runtime has it, else WebCrypto. */
export async function hmacSha256(key: Uint8Array, message: string): Promise<Uint8Array> {
  if (nodeCrypto) {
    let keyObject = nodeKeys.get(key)
    if (!keyObject) {
      keyObject = nodeCrypto.createSecretKey(key)
      nodeKeys.set(key, keyObject)
    }
    return nodeCrypto.createHmac('sha256', keyObject).update(message).digest()
  }
  let cryptoKey = webKeys.get(key)
  if (!cryptoKey) {
    cryptoKey = crypto.subtle.importKey('raw', Uint8Array.from(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    webKeys.set(key, cryptoKey)
  }
  return new Uint8Array(await crypto.subtle.sign('HMAC', await cryptoKey, new TextEncoder().encode(message)))
}

/**
 * Encodes a refresh token for `fields`, MAC'd with `key` (the refresh MAC key named by
 * `fields.kid`) over the fields and the family's `nonce`. Deterministic: the same inputs give
 * the same token, which is how a grace replay hands back the identical successor.
 * Throws a `RangeError` for fields that cannot be encoded (a programming error, not bad input).
 */
export async function encodeRefreshToken(fields: RefreshTokenFields, key: Uint8Array, nonce: string): Promise<string> {
  if (!KID.test(fields.kid)) throw new RangeError(`refresh token: invalid kid ${JSON.stringify(fields.kid)}`)
  if (!FAMILY_ID.test(fields.familyId)) {
    throw new RangeError(`refresh token: invalid family id ${JSON.stringify(fields.familyId)}`)
  }
  if (!Number.isSafeInteger(fields.generation) || fields.generation < 0) {
    throw new RangeError(`refresh token: invalid generation ${fields.generation}`)
  }
  const mac = await hmacSha256(key, macInput(fields, nonce))
  return `${PREFIX}${fields.kid}.${fields.familyId}.${fields.generation}.${encodeBase64url(mac)}`
}

/**
 * Parses a refresh token without authenticating it. Strict: the exact format above, a bounded
 * length, a canonical generation, a canonical MAC encoding. Never throws, for any input.
 */
export function parseRefreshToken(token: unknown): ParseRefreshTokenResult {
  if (typeof token !== 'string' || token.length > MAX_REFRESH_TOKEN_LENGTH) return malformed()
  const match = FORMAT.exec(token)
  if (!match) return malformed()
  const [, kid, familyId, generationText, macText] = match as unknown as [string, string, string, string, string]
  const generation = Number(generationText)
  if (!Number.isSafeInteger(generation)) return malformed()
  // 43 characters carry 258 bits for 256: the last character's two spare bits must be zero
  // (decodeBase64url refuses a non-canonical encoding).
  const mac = decodeBase64url(macText)
  if (mac === null || mac.length !== MAC_BYTES) return malformed()
  return { ok: true, token: { version: REFRESH_TOKEN_VERSION, kid, familyId, generation, mac } }
}

/**
 * True when `parsed` carries a valid MAC under `key` for the family's `nonce`. The comparison
 * is constant-time.
 */
export async function verifyRefreshToken(parsed: ParsedRefreshToken, key: Uint8Array, nonce: string): Promise<boolean> {
  if (parsed.version !== REFRESH_TOKEN_VERSION) return false
  const expected = await hmacSha256(key, macInput(parsed, nonce))
  return parsed.mac.length === expected.length && constantTimeEqual(parsed.mac, expected)
}

/** A new family id: 128 random bits, unpadded base64url (22 characters). */
export function generateFamilyId(random: RandomReader): string {
  const bytes = new Uint8Array(16)
  random.read(bytes)
  return encodeBase64url(bytes)
}

/** A new family nonce: 256 random bits, unpadded base64url (43 characters). Kept only in storage. */
export function generateNonce(random: RandomReader): string {
  const bytes = new Uint8Array(32)
  random.read(bytes)
  return encodeBase64url(bytes)
}

function malformed(): Failure<'ERR_REFRESH_TOKEN_MALFORMED'> {
  return failure('ERR_REFRESH_TOKEN_MALFORMED', 'the refresh token is malformed')
}
