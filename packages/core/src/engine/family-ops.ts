import { type Failure, failure } from '../errors/index.js'
import { eventBase, type RequestContext } from '../events/index.js'
import { decide } from '../machine/decide.js'
import type { FamilyEvent, FamilyRecord, RevocationReason } from '../machine/types.js'
import { type Plan, writeWithRetry } from './cas-retry.js'
import type { EngineContext } from './options.js'
import { toSummary } from './summary.js'
import type { FamilyOpResult } from './types.js'

const notFound = (): Failure<'ERR_FAMILY_NOT_FOUND'> => failure('ERR_FAMILY_NOT_FOUND', 'no such session')

/**
 * Revokes one family starting from `family` as already read (compare-and-set with retries).
 * Revocation is absorbing: an already revoked family gives `ERR_FAMILY_REVOKED` and is not touched.
 */
export function revokeFamily(
  ctx: EngineContext,
  family: FamilyRecord,
  reason: RevocationReason,
  context?: RequestContext,
): Promise<FamilyOpResult> {
  return writeWithRetry<FamilyOpResult>(
    ctx.store,
    family,
    (current) => planFamilyOp(ctx, current, 'revoke', reason, context),
    notFound,
    ctx.maxRetries,
  )
}

/** `engine.revoke` / `engine.reauthenticate` by family id. */
export async function familyOp(
  ctx: EngineContext,
  familyId: unknown,
  type: 'revoke' | 'reauthenticate',
  reason: RevocationReason = 'admin',
  context?: RequestContext,
): Promise<FamilyOpResult> {
  if (typeof familyId !== 'string' || familyId.length === 0) return notFound()
  const family = await ctx.store.get(familyId)
  if (family === null) return notFound()
  return writeWithRetry<FamilyOpResult>(
    ctx.store,
    family,
    (current) => planFamilyOp(ctx, current, type, reason, context),
    notFound,
    ctx.maxRetries,
  )
}

function planFamilyOp(
  ctx: EngineContext,
  family: FamilyRecord,
  type: 'revoke' | 'reauthenticate',
  reason: RevocationReason,
  context: RequestContext | undefined,
): Plan<FamilyOpResult> {
  const now = ctx.clock.now()
  const base = eventBase(family, now, context)
  const event: FamilyEvent = type === 'revoke' ? { type, reason, now } : { type, now }
  const decision = decide(family, event, ctx.policyOf(family))
  switch (decision.type) {
    case 'revoked':
      return {
        write: decision.next,
        after(next) {
          ctx.emit({ ...base, type: 'revoked', reason })
          return { ok: true, family: toSummary(next) }
        },
      }
    case 'reauthenticated':
      return { write: decision.next, after: (next) => ({ ok: true, family: toSummary(next) }) }
    case 'expired':
      return {
        write: decision.next,
        after() {
          ctx.emit({ ...base, type: 'expired', kind: decision.kind })
          return failure('ERR_FAMILY_EXPIRED', 'the session has expired')
        },
      }
    case 'rejected':
      return { finish: () => failure('ERR_FAMILY_REVOKED', 'the session has already ended') }
    case 'rotated':
    case 'replayed':
    case 'reuse_detected':
      throw new Error(`@auth/core internal error: decide answered ${decision.type} to ${type}`)
    default: {
      const _never: never = decision
      return _never
    }
  }
}
