import { AuthError } from '../errors/index.js'
import { verificationKey } from '../keys/key-ring.js'
import type { SigningAlgorithm, SigningKey } from '../keys/types.js'

/** JWK members that only a private or secret key has: a published key set never carries them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** The outcome of reading a key set: the keys, or why the set was refused (it then replaces nothing). */
export type ParsedJwks =
  | { readonly ok: true; readonly keys: readonly SigningKey[]; readonly skipped: number }
  | { readonly ok: false; readonly why: string }

/**
 * Reads a JWKS (RFC 7517) into verification keys: each key needs a `kid`, an `alg` among
 * `algorithms`, the key type that `alg` names, and no private member. A key that fails is
 * skipped (a newer server may publish key types this version does not know); a set with no
 * usable key, or that is not a JWKS at all, is refused as a whole.
 */
export function parseJwks(value: unknown, algorithms: ReadonlySet<SigningAlgorithm>): ParsedJwks {
  if (value === null || typeof value !== 'object' || !Array.isArray((value as { keys?: unknown }).keys)) {
    return { ok: false, why: 'not a JWKS ({ "keys": [...] })' }
  }
  const keys: SigningKey[] = []
  const seen = new Set<string>()
  let skipped = 0
  for (const jwk of (value as { keys: unknown[] }).keys) {
    const key = toKey(jwk, algorithms)
    if (key === null || seen.has(key.kid)) {
      skipped++
      continue
    }
    seen.add(key.kid)
    keys.push(key)
  }
  if (keys.length === 0) return { ok: false, why: `no usable key among ${skipped}` }
  return { ok: true, keys, skipped }
}

function toKey(jwk: unknown, algorithms: ReadonlySet<SigningAlgorithm>): SigningKey | null {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return null
  const { kid, alg, use } = jwk as { kid?: unknown; alg?: unknown; use?: unknown }
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) return null
  if (typeof alg !== 'string' || !algorithms.has(alg as SigningAlgorithm) || alg === 'HS256') return null
  if (use !== undefined && use !== 'sig') return null
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return null
  try {
    return verificationKey({ kid, alg: alg as SigningAlgorithm, publicKey: jwk as Record<string, string> })
  } catch (error) {
    if (error instanceof AuthError) return null
    throw error
  }
}

/**
 * Reads at most `maxBytes` of a response body, then stops (cancelling the rest): a 10 MB key set
 * costs `maxBytes` of memory, not 10 MB. Null when the body is longer.
 */
export async function readCapped(response: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {})
    return null
  }
  const body = response.body
  if (body === null) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}
