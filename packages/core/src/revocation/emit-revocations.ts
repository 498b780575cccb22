import type { Emit } from '../events/index.js'
import { revocationHorizon } from '../machine/lifetime.js'
import type { LifetimePolicy } from '../policy/policy.js'
import type { RevokedFamilies } from './types.js'

/**
 * Wraps the engine's emitter so that every event that ends a family (`revoked`, whatever the
 * reason, and `expired`) also lands in `revocations`: locally at once, and on the feed. The entry
 * lives as long as an access token issued just before the revocation can: `accessTtl + leeway`.
 * Events are emitted only after the write that ended the family succeeded, so nothing is
 * published for a revocation that did not happen.
 */
export function emitRevocations(emit: Emit, revocations: RevokedFamilies, policy: LifetimePolicy): Emit {
  return (event) => {
    if (event.type === 'revoked' || event.type === 'expired') {
      void revocations.add(event.familyId, revocationHorizon(event.at, policy))
    }
    emit(event)
  }
}
