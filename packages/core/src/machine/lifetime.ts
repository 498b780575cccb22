import { AuthError } from '../errors/index.js'
import type { LifetimePolicy } from '../policy/policy.js'
import type { FamilyRecord } from './types.js'

/**
 * Every lifetime rule of the library, once. `decide` uses them, and so does everyone else that
 * needs to know whether a family is live, when its access tokens end, whether a login is fresh,
 * or how long a revocation must be remembered. All times are epoch milliseconds unless a name
 * says seconds.
 */

/** Which expiry a family has reached. */
export type ExpiryKind = 'idle' | 'absolute'

/** The absolute expiry of a family created at `createdAt`: `createdAt + sessionMaxAge`. */
export function absoluteExpiry(createdAt: number, policy: LifetimePolicy): number {
  return createdAt + policy.sessionMaxAge
}

/** The idle expiry after a use at `lastUsedAt`: `lastUsedAt + refreshIdleTtl`, never after the absolute one. */
export function idleExpiry(lastUsedAt: number, expiresAt: number, policy: LifetimePolicy): number {
  return Math.min(lastUsedAt + policy.refreshIdleTtl, expiresAt)
}

/**
 * The absolute expiry of `family` under `policy`: the stored one, capped by `createdAt +
 * sessionMaxAge`, so a shortened `sessionMaxAge` reaches families created under a longer one.
 */
export function absoluteExpiryOf(family: FamilyRecord, policy: LifetimePolicy): number {
  return Math.min(family.expiresAt, family.createdAt + policy.sessionMaxAge)
}

/**
 * The idle expiry of `family` under `policy`: the stored one, capped by `lastUsedAt +
 * refreshIdleTtl` and by the absolute expiry, so a shortened `refreshIdleTtl` reaches existing
 * families too.
 */
export function idleExpiryOf(family: FamilyRecord, policy: LifetimePolicy): number {
  return Math.min(family.idleExpiresAt, family.lastUsedAt + policy.refreshIdleTtl, absoluteExpiryOf(family, policy))
}

/** The expiry `family` has reached at `now` under `policy`, or null. Absolute wins when both hold. */
export function expiryAt(family: FamilyRecord, now: number, policy: LifetimePolicy): ExpiryKind | null {
  if (now >= absoluteExpiryOf(family, policy)) return 'absolute'
  if (now >= idleExpiryOf(family, policy)) return 'idle'
  return null
}

/** Whether `family` can still refresh at `now` under `policy`: active and before both expiries. */
export function isLive(family: FamilyRecord, now: number, policy: LifetimePolicy): boolean {
  return family.status === 'active' && expiryAt(family, now, policy) === null
}

/**
 * The `exp` (epoch seconds) of an access token `family` signs at `now`: `accessTtl` later (the
 * policy's, or a shorter one asked for this token; never a longer one), but
 * never past the family's absolute expiry (no access token outlives its family's maximum age),
 * and at least one second after `iat`.
 */
export function accessTokenExpiry(
  family: FamilyRecord,
  now: number,
  policy: LifetimePolicy,
  accessTtl: number = policy.accessTtl,
): number {
  const iat = Math.floor(now / 1000)
  const ttl = Math.min(accessTtl, policy.accessTtl)
  return Math.max(iat + 1, Math.floor(Math.min(now + ttl, absoluteExpiryOf(family, policy)) / 1000))
}

/** When the family ends if nothing more happens: the earlier of its idle and absolute expiry (what clients are shown). */
export function sessionExpiry(family: Pick<FamilyRecord, 'expiresAt' | 'idleExpiresAt'>): number {
  return Math.min(family.expiresAt, family.idleExpiresAt)
}

/**
 * Whether presenting `generation` at `now` falls inside the grace window: it is the generation
 * just rotated away, and `now` is strictly before `rotatedAt + reuseGrace`. (Bindings are
 * `decide`'s business; this is the time rule alone.) Any other older generation, at any time, is
 * reuse.
 */
export function inGraceWindow(family: FamilyRecord, generation: number, now: number, policy: LifetimePolicy): boolean {
  return generation === family.generation - 1 && family.rotatedAt !== null && now < family.rotatedAt + policy.reuseGrace
}

/** Freshness: whether a login at `authTime` is at most `maxAge` milliseconds old at `now`. */
export function isFresh(authTime: number, now: number, maxAge: number): boolean {
  return now - authTime <= maxAge
}

/**
 * How long a revocation at `revokedAt` must be remembered by nodes that check access tokens:
 * until an access token issued just before it can no longer be valid (`accessTtl + leeway`).
 */
export function revocationHorizon(revokedAt: number, policy: LifetimePolicy): number {
  return revokedAt + policy.accessTtl + policy.leeway
}

/**
 * Refuses a time that is not finite epoch milliseconds: it means the injected clock is broken
 * (misuse, not input), so it throws `AuthError('ERR_CONFIG_INVALID')`.
 */
export function assertTime(now: number): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new AuthError('ERR_CONFIG_INVALID', `machine: time must be finite epoch milliseconds, got ${String(now)}`)
  }
}
