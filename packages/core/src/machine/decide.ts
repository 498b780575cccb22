import type { LifetimePolicy } from '../policy/policy.js'
import { absoluteExpiryOf, assertTime, expiryAt, idleExpiry, inGraceWindow } from './lifetime.js'
import type { Decide, Decision, FamilyEvent, FamilyRecord, RevocationReason } from './types.js'

const REJECTED_REVOKED: Decision = Object.freeze({ type: 'rejected', reason: 'revoked' })
const REJECTED_UNKNOWN: Decision = Object.freeze({ type: 'rejected', reason: 'unknown_generation' })

/**
 * The pure transition function of a family (DESIGN.md, "The state machine"). Time comes in the
 * event; nothing here reads a clock or draws randomness, and nothing is thrown for any expected
 * outcome. Rules, in order:
 *
 * 1. A revoked family rejects every event (`rejected: 'revoked'`): revocation is absorbing.
 * 2. `revoke` ends an active family with the given reason, even one already past its expiry
 *    (the caller's reason is more informative than `expired`, and the family is dead either way).
 * 3. `refresh` and `reauthenticate` first check expiry under the current policy (the stored
 *    expiries, capped by `createdAt + sessionMaxAge` and `lastUsedAt + refreshIdleTtl`, so a
 *    shortened policy reaches existing families): absolute first, then idle; the family is
 *    recorded revoked (`expired`).
 * 4. `refresh` of a generation that is not a non-negative safe integer, or is newer than the
 *    current one, is `rejected: 'unknown_generation'` (no token we issued carries one; a store
 *    restored from a backup could produce it). The family is untouched.
 * 5. `refresh` of the current generation rotates it.
 * 6. `refresh` of the previous generation strictly before `rotatedAt + reuseGrace`, from the
 *    binding that rotated (any binding under `graceBinding: 'none'`; a replay with no binding
 *    value never matches under the others), is `replayed`: the same
 *    successor is handed out again and nothing is written.
 * 7. Any other older generation is reuse: the family is revoked (`reuse_detected`).
 * 8. `reauthenticate` moves `authTime` to `now`.
 *
 * Clocks of different nodes disagree, so `now` may lie before times already in the record;
 * that never moves `lastUsedAt`, `idleExpiresAt` or `authTime` backwards. `rotatedAt` never
 * moves backwards either, except that a rotation never stamps it more than `leeway` ahead of
 * `now`: a time further ahead came from a clock beyond tolerance, and carrying it forward would
 * widen every later grace window. (Engines on the system clock decide in the store's time,
 * which removes the skew itself.)
 *
 * Throws `AuthError` (`ERR_CONFIG_INVALID`) only when `event.now` is not a finite number, which
 * means the injected clock is broken (misuse, not input).
 */
export const decide: Decide = (family, event, policy) => {
  assertTime(event.now)
  switch (family.status) {
    case 'revoked':
      return REJECTED_REVOKED
    case 'active':
      return decideActive(family, event, policy)
    default: {
      const _never: never = family.status
      return _never
    }
  }
}

function decideActive(family: FamilyRecord, event: FamilyEvent, policy: LifetimePolicy): Decision {
  switch (event.type) {
    case 'revoke':
      return { type: 'revoked', next: revoked(family, event.reason, event.now) }
    case 'reauthenticate': {
      const expired = expiry(family, event.now, policy)
      if (expired !== null) return expired
      return {
        type: 'reauthenticated',
        next: { ...family, authTime: Math.max(family.authTime, event.now), version: family.version + 1 },
      }
    }
    case 'refresh': {
      const expired = expiry(family, event.now, policy)
      if (expired !== null) return expired
      return decideRefresh(family, event, policy)
    }
    default: {
      const _never: never = event
      return _never
    }
  }
}

function decideRefresh(
  family: FamilyRecord,
  event: Extract<FamilyEvent, { type: 'refresh' }>,
  policy: LifetimePolicy,
): Decision {
  const { generation, now } = event
  if (!Number.isSafeInteger(generation) || generation < 0 || generation > family.generation) {
    return REJECTED_UNKNOWN
  }
  if (generation === family.generation) {
    const lastUsedAt = Math.max(family.lastUsedAt, now)
    // Under the current policy: a shortened sessionMaxAge lowers the stored expiry too.
    const expiresAt = absoluteExpiryOf(family, policy)
    return {
      type: 'rotated',
      next: {
        ...family,
        generation: family.generation + 1,
        lastUsedAt,
        // Never behind the last rotation, but never more than `leeway` ahead of this node either:
        // a rotation stamped by a node running fast must not widen every later window.
        rotatedAt: family.rotatedAt === null ? now : Math.max(now, Math.min(family.rotatedAt, now + policy.leeway)),
        rotatedBinding: event.binding,
        expiresAt,
        idleExpiresAt: idleExpiry(lastUsedAt, expiresAt, policy),
        version: family.version + 1,
      },
    }
  }
  if (inGraceWindow(family, generation, now, policy) && bindingMatches(family.rotatedBinding, event.binding, policy)) {
    return { type: 'replayed', generation: family.generation }
  }
  return { type: 'reuse_detected', next: revoked(family, 'reuse_detected', now) }
}

/** Whether a grace replay comes from the client that rotated, under the policy's `graceBinding`. */
function bindingMatches(rotated: string | null, presented: string | null, policy: LifetimePolicy): boolean {
  switch (policy.graceBinding) {
    case 'none':
      return true
    case 'user_agent':
    case 'device_id':
      // A replay that carries no binding value matches nothing, not even a rotation without one:
      // otherwise anyone who strips the header could replay inside the window.
      return presented !== null && presented === rotated
    default: {
      const _never: never = policy.graceBinding
      return _never
    }
  }
}

/** The `expired` decision if `now` is at or past either expiry (see `expiryAt`), else null. */
function expiry(family: FamilyRecord, now: number, policy: LifetimePolicy): Decision | null {
  const kind = expiryAt(family, now, policy)
  return kind === null ? null : { type: 'expired', kind, next: revoked(family, 'expired', now) }
}

function revoked(family: FamilyRecord, reason: RevocationReason, now: number): FamilyRecord {
  return { ...family, status: 'revoked', revocation: { reason, at: now }, version: family.version + 1 }
}
