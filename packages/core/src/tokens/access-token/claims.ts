import type { AccessClaims, VerifyAccessResult } from '../types.js'
import { fail } from './failures.js'

/** What the claims of a correctly signed token are checked against. */
export interface ClaimRules {
  readonly issuer: string
  readonly audiences: readonly string[]
  /** Tolerated clock skew in milliseconds. */
  readonly leeway: number
}

/**
 * Builds the claims check: the payload is a JSON object; `exp`, `iat`, `auth_time` (and `nbf`
 * when present) are finite numbers; `sub`, `sid` and `jti` non-empty strings; `iss` is the
 * issuer; `aud` (a string or an array of strings) names a configured audience; `exp`, `iat` and
 * `nbf` hold at `now` within the leeway. Types are checked before values, so a wrongly typed claim
 * is MALFORMED, not INVALID.
 */
export function createClaimsCheck(rules: ClaimRules): (payload: unknown, now: number) => VerifyAccessResult {
  const { issuer, leeway } = rules
  const audienceSet = new Set(rules.audiences)
  const singleAudience = rules.audiences.length === 1 ? rules.audiences[0] : undefined
  return (payload, now) => {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail.payload
    const claims = payload as Record<string, unknown>
    const { exp, iat, auth_time, nbf, iss, aud } = claims
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail.claimType('exp')
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail.claimType('iat')
    if (typeof auth_time !== 'number' || !Number.isFinite(auth_time)) return fail.claimType('auth_time')
    if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return fail.claimType('nbf')
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) return fail.claimType('sub')
    if (typeof claims.sid !== 'string' || claims.sid.length === 0) return fail.claimType('sid')
    if (typeof claims.jti !== 'string' || claims.jti.length === 0) return fail.claimType('jti')
    if (typeof iss !== 'string') return fail.claimType('iss')
    if (iss !== issuer) return fail.iss
    if (typeof aud === 'string') {
      if (aud !== singleAudience && !audienceSet.has(aud)) return fail.aud
    } else if (Array.isArray(aud)) {
      let match = false
      for (const a of aud) {
        if (typeof a !== 'string') return fail.claimType('aud')
        if (audienceSet.has(a)) match = true
      }
      if (!match) return fail.aud
    } else {
      return fail.claimType('aud')
    }
    if (exp * 1000 <= now - leeway) return fail.expired
    if (iat * 1000 > now + leeway) return fail.iat
    if (nbf !== undefined && nbf * 1000 > now + leeway) return fail.nbf
    return { ok: true, claims: claims as AccessClaims }
  }
}
