import { AuthError } from '../errors/index.js'
import type { RequestContext } from '../events/index.js'
import { metaProblem } from '../machine/record.js'
import type { FamilyMeta } from '../machine/types.js'
import { RESERVED_CLAIMS } from '../tokens/types.js'

const reserved: ReadonlySet<string> = new Set(RESERVED_CLAIMS)

/** The claims of a call that gave none: one shared frozen object, so the pair builder can skip the merge by identity. */
export const NO_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({})

/**
 * Checks the app's own claims: a plain object whose names are not the library's. Passing a
 * reserved name (`sub`, `exp`, `sid`…) is a programming error, so it throws
 * `AuthError('ERR_CONFIG_INVALID')` instead of silently losing either value.
 */
export function checkAppClaims(claims: unknown, where: string): Readonly<Record<string, unknown>> {
  if (claims === undefined) return NO_CLAIMS
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: claims must be a plain object`)
  }
  const proto: unknown = Object.getPrototypeOf(claims)
  if (proto !== Object.prototype && proto !== null) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: claims must be a plain object`)
  }
  for (const name of Object.keys(claims)) {
    if (reserved.has(name)) {
      throw new AuthError('ERR_CONFIG_INVALID', `${where}: the claim name "${name}" is reserved (set by the library)`)
    }
  }
  return claims as Readonly<Record<string, unknown>>
}

const utf8 = new TextEncoder()

/** The default cap on the login claims a family keeps: 2 KiB of UTF-8 JSON (see `EngineOptions.maxClaimsBytes`). */
export const DEFAULT_MAX_CLAIMS_BYTES = 2048

/**
 * Checks the login claims a family keeps: {@link checkAppClaims}, then JSON (what the store
 * keeps must come back the same) of at most `maxBytes` bytes of UTF-8. Throws
 * `AuthError('ERR_CONFIG_INVALID')` naming the limit otherwise.
 */
export function checkStoredClaims(claims: unknown, maxBytes: number): Readonly<Record<string, unknown>> {
  const checked = checkAppClaims(claims, 'issue')
  if (checked === NO_CLAIMS) return NO_CLAIMS
  let json: string
  try {
    json = JSON.stringify(checked)
  } catch (error) {
    throw new AuthError('ERR_CONFIG_INVALID', 'issue: claims must be JSON (plain values, no cycles, no BigInt)', {
      cause: error,
    })
  }
  // A UTF-16 code unit is 1 to 3 bytes of UTF-8: encode only when the length leaves it open.
  const size = json.length * 3 <= maxBytes ? json.length : utf8.encode(json).length
  if (size > maxBytes) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `issue: the claims are ${size} bytes of JSON, over the limit of ${maxBytes}; keep large data out of tokens, or raise maxClaimsBytes in createEngine`,
    )
  }
  return JSON.parse(json) as Readonly<Record<string, unknown>>
}

/** Checks a subject before a family is created for it. */
export function checkSubject(subject: unknown): asserts subject is string {
  if (typeof subject !== 'string' || subject.length === 0) {
    throw new AuthError('ERR_CONFIG_INVALID', 'issue: subject must be a non-empty string')
  }
}

/** Checks family metadata: a plain object of strings, finite numbers, booleans and nulls (it is stored as JSON). */
/** A call's request context: ip and userAgent strings (capped), nothing else. Misuse throws. */
export function checkContext(context: unknown, where: string): RequestContext | undefined {
  if (context === undefined) return undefined
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: context must be { ip?, userAgent? }`)
  }
  const { ip, userAgent } = context as Record<string, unknown>
  // The http layer's own context (ip and userAgent, capped) passes as it is: no copy per request.
  let fields = 0
  for (const _ in context) fields++
  if (
    fields === (ip === undefined ? 0 : 1) + (userAgent === undefined ? 0 : 1) &&
    (ip === undefined || (typeof ip === 'string' && ip.length <= 64)) &&
    (userAgent === undefined || (typeof userAgent === 'string' && userAgent.length <= 512))
  ) {
    return context as RequestContext
  }
  const { ip: _ip, userAgent: _userAgent, ...rest } = context as Record<string, unknown>
  const extra = Object.keys(rest)
  if (extra.length > 0)
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: context.${extra[0]} is not a context field (ip, userAgent)`)
  for (const [name, value] of [
    ['ip', ip],
    ['userAgent', userAgent],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new AuthError('ERR_CONFIG_INVALID', `${where}: context.${name} must be a string`)
    }
  }
  return {
    ...(typeof ip === 'string' ? { ip: ip.slice(0, 64) } : {}),
    ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, 512) } : {}),
  }
}

export function checkMeta(meta: unknown, where: string): FamilyMeta | undefined {
  if (meta === undefined) return undefined
  const problem = metaProblem(meta)
  if (problem === 'not an object') throw new AuthError('ERR_CONFIG_INVALID', `${where}: meta must be a plain object`)
  if (problem !== null) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: meta.${problem} must be a string, number, boolean or null`)
  }
  return meta as FamilyMeta
}
