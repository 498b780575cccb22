import { LRUCache } from 'lru-cache'
import type { VerifyAccessResult } from '../types.js'

/** The default size of the verified-token cache. */
export const DEFAULT_ACCESS_TOKEN_CACHE_MAX = 10_000

/**
 * How many trailing characters of a token key its entry: part of the signature (EdDSA and ES256
 * signatures are 86 characters, HS256 43). Hashing a whole token the HTTP parser has just made
 * (400 to 1,000 characters, its hash never computed) cost about 0.7 µs a lookup, more than the rest
 * of a cached verification; 43 characters cost about 0.1 µs. A hit is served only when the entry's
 * full token equals the one presented, so a token with a borrowed signature tail is a miss, and
 * verified (and refused) in full.
 */
const KEY_CHARS = 43

/** The LRU key of a token: its last {@link KEY_CHARS} characters. */
function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token
}

interface CacheEntry {
  /** The whole token: a hit must present exactly this string. */
  readonly token: string
  readonly result: VerifyAccessResult
  /** `exp` in epoch ms: the entry dies then. */
  readonly expiresAt: number
  /** When the token's key retires (epoch ms; Infinity if never): the entry dies then too. */
  readonly retiresAt: number
}

/** The verified-token cache: an LRU keyed by the token's signature tail, each entry holding its whole token. */
export interface VerifiedCache {
  /** The cached result for `token` if it is still valid at `now` (before `exp` and the key's retirement); a dead entry is dropped. */
  get(token: string, now: number): VerifyAccessResult | undefined
  /** Keeps a successful result until the token's `exp`. */
  set(token: string, result: VerifyAccessResult & { ok: true }, retiresAt: number, now: number): void
}

/**
 * Builds the cache, or undefined for `false`. `max` must be a positive integer; `invalid` is
 * called (and must throw) otherwise.
 */
export function createVerifiedCache(
  option: false | { readonly max?: number },
  invalid: (message: string) => never,
): VerifiedCache | undefined {
  if (option === false) return undefined
  const max = option.max ?? DEFAULT_ACCESS_TOKEN_CACHE_MAX
  if (!Number.isSafeInteger(max) || max < 1) invalid('cache.max must be a positive integer (or cache: false)')
  const lru = new LRUCache<string, CacheEntry>({ max })
  return {
    get(token, now) {
      const key = keyOf(token)
      const hit = lru.get(key)
      // Another token under the same key (a forged payload with a real signature's tail): a miss,
      // and the real token's entry stays.
      if (hit === undefined || hit.token !== token) return undefined
      if (now < hit.expiresAt && now < hit.retiresAt) return hit.result
      lru.delete(key)
      return undefined
    },
    set(token, result, retiresAt, now) {
      const expiresAt = result.claims.exp * 1000
      const ttl = Math.floor(expiresAt - now)
      if (ttl > 0) lru.set(keyOf(token), { token, result, expiresAt, retiresAt }, { ttl })
    },
  }
}
