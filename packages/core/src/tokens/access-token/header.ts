import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { SigningAlgorithm, SigningKey } from '../../keys/types.js'
import { type Bad, fail } from './failures.js'

/** The JWS `typ` of access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYP = 'at+jwt'

const BASE64URL = /^[A-Za-z0-9_-]*$/
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const MAX_LEARNED_HEADERS = 64

const encoder = new TextEncoder()
/**
 * RFC 7515 §5.2: the header and the payload must be valid UTF-8. `fatal` refuses a broken byte
 * instead of replacing it with U+FFFD; `ignoreBOM` keeps a BOM, which then fails JSON.parse.
 */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** One verification key as the codec holds it. */
export interface KeyEntry {
  readonly key: SigningKey
  readonly alg: SigningAlgorithm
  /** Epoch ms at which the key stops verifying; Infinity if never. */
  readonly retiresAt: number
  /** The base64url of the header this library writes for the key. */
  readonly headerB64: string
  /** The exact length of the base64url signature segment. */
  readonly signatureChars: number
  /** Mask of the spare low bits of the last signature character, which must be zero. */
  readonly spareBitsMask: number
  /** node:crypto signature check, when the node implementation is used (see node-jws.ts). */
  readonly nodeVerify?: (signingInput: string, signature: Uint8Array) => boolean
}

/** The header this library writes for `key`, base64url: `{ alg, typ: 'at+jwt', kid }`. */
export function headerFor(key: Pick<SigningKey, 'alg' | 'kid'>): string {
  return encodeBase64urlNoPadding(encoder.encode(JSON.stringify({ alg: key.alg, typ: ACCESS_TOKEN_TYP, kid: key.kid })))
}

/** The entry of `key`: its header and the exact shape of its signature segment. */
export function keyEntry(key: SigningKey): KeyEntry {
  const signatureChars = Math.ceil((key.signatureLength * 4) / 3)
  const spareBits = (signatureChars * 6 - key.signatureLength * 8) % 6
  return {
    key,
    alg: key.alg,
    retiresAt: key.retiresAt ?? Number.POSITIVE_INFINITY,
    headerB64: headerFor(key),
    signatureChars,
    spareBitsMask: (1 << spareBits) - 1,
  }
}

/**
 * Whether `signatureB64` is the canonical base64url of a signature of `entry`'s algorithm: its
 * exact length, the alphabet, and zero spare bits in the last character (so no two spellings of
 * one signature are both accepted).
 */
export function isCanonicalSignature(entry: KeyEntry, signatureB64: string): boolean {
  if (signatureB64.length !== entry.signatureChars || !BASE64URL.test(signatureB64)) return false
  return (BASE64URL_ALPHABET.indexOf(signatureB64.charAt(signatureB64.length - 1)) & entry.spareBitsMask) === 0
}

/**
 * Builds the header check: a header segment resolves to the entry of its `kid` only when it is
 * base64url JSON with string `alg` and `kid`, a `typ` of at+jwt (as a media type: any case, an
 * optional `application/` prefix), no `crit`, and `alg` equal to the key's own (so `none`, `None`
 * and HS/RS confusion all fail). The headers this library writes are known in advance; others
 * that resolved (another signer's member order or whitespace) are remembered, up to 64.
 */
export function createHeaderResolver(entries: Iterable<KeyEntry>): (headerB64: string) => KeyEntry | Bad {
  const byKid = new Map<string, KeyEntry>()
  const byHeader = new Map<string, KeyEntry>()
  for (const entry of entries) {
    byKid.set(entry.key.kid, entry)
    byHeader.set(entry.headerB64, entry)
  }
  const learned = new Map<string, KeyEntry>()
  return (headerB64) => {
    const known = byHeader.get(headerB64) ?? learned.get(headerB64)
    if (known) return known
    if (!BASE64URL.test(headerB64)) return fail.header
    let header: unknown
    try {
      header = JSON.parse(utf8Decoder.decode(decodeBase64urlIgnorePadding(headerB64)))
    } catch {
      return fail.header
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail.header
    const { alg, typ, kid, crit } = header as Record<string, unknown>
    if (typeof alg !== 'string') return fail.header
    if (typeof kid !== 'string') return fail.header
    if (typ === undefined) return fail.typ
    if (typeof typ !== 'string') return fail.header
    if (crit !== undefined) return fail.crit
    const entry = byKid.get(kid)
    if (!entry) return fail.kid
    if (alg !== entry.alg) return fail.alg
    if (normalizeTyp(typ) !== ACCESS_TOKEN_TYP) return fail.typ
    if (learned.size >= MAX_LEARNED_HEADERS) learned.clear()
    learned.set(headerB64, entry)
    return entry
  }
}

/** `typ` is a media type: compared case-insensitively, with an optional `application/` prefix (RFC 7515 §4.1.9). */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase()
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower
}

/**
 * The index of the second dot of a compact JWS (the first is `token.indexOf('.')`), or -1 when
 * `token` is not three segments with a non-empty header. Returns a number, not the pair, so the
 * hot path allocates nothing for the split.
 */
export function compactSecondDot(token: string): number {
  const d1 = token.indexOf('.')
  const d2 = d1 <= 0 ? -1 : token.indexOf('.', d1 + 1)
  if (d2 < 0 || token.indexOf('.', d2 + 1) !== -1) return -1
  return d2
}
