import { LRUCache } from 'lru-cache'
import type { VerifyAccessResult } from '../types.js'

/** The default size of the verified-token cache. */
export const DEFAULT_ACCESS_TOKEN_CACHE_MAX = 10_000

interface CacheEntry {
  readonly result: VerifyAccessResult
  /** `exp` in epoch ms: the entry dies then. */
  readonly expiresAt: number
  /** When the token's key retires (epoch ms; Infinity if never): the entry dies then too. */
  readonly retiresAt: number
}

/** The verified-token cache: an LRU keyed by the token string. */
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
      const hit = lru.get(token)
      if (hit === undefined) return undefined
      if (now < hit.expiresAt && now < hit.retiresAt) return hit.result
      lru.delete(token)
      return undefined
    },
    set(token, result, retiresAt, now) {
      const expiresAt = result.claims.exp * 1000
      const ttl = Math.floor(expiresAt - now)
      if (ttl > 0) lru.set(token, { result, expiresAt, retiresAt }, { ttl })
    },
  }
}
