import { AuthError, failure } from '../errors/index.js'
import { eventBase, type RequestContext } from '../events/index.js'
import { decide } from '../machine/decide.js'
import { expiryAt, inGraceWindow } from '../machine/lifetime.js'
import type { FamilyMeta, FamilyRecord } from '../machine/types.js'
import { type Authenticated, authenticateRefreshToken, invalid, keyRetired } from './authenticate.js'
import { type Plan, writeWithRetry } from './cas-retry.js'
import { NO_CLAIMS } from './claims.js'
import type { EngineContext } from './options.js'
import { tokenPair } from './pair.js'
import { toSummary } from './summary.js'
import type { InspectRefreshResult, RefreshResult } from './types.js'

/** What a refresh without a binding value is told, per binding: which header to send. */
const MISSING_BINDING = {
  user_agent:
    "this refresh carries no binding (graceBinding 'user_agent'); send the User-Agent header the client logged in with",
  device_id: "this refresh carries no binding (graceBinding 'device_id'); send the client's x-device-id header",
} as const

/** What one refresh request brings besides the token. */
export interface RefreshRequest {
  readonly binding: string | null
  readonly meta: FamilyMeta | undefined
  readonly claims: Readonly<Record<string, unknown>>
  /** The presenting client, when the caller knows it. */
  readonly clientId?: string | undefined
  /** A shorter access-token lifetime for this refresh (milliseconds, checked). */
  readonly accessTtl?: number | undefined
  /** The thumbprint of this request's verified DPoP proof, if it had one. */
  readonly dpopJkt?: string | undefined
  /** That proof's `iat`, seconds (its own clock), when the caller gave it. */
  readonly dpopIat?: number | undefined
  /** The request, for the events. */
  readonly context?: RequestContext | undefined
}

/**
 * `engine.refresh`: authenticate the token, then decide and compare-and-set until the decision
 * sticks. A pair is built only after the write that justifies it succeeded (fail closed).
 */
export async function refresh(ctx: EngineContext, token: unknown, request: RefreshRequest): Promise<RefreshResult> {
  const auth = await authenticateRefreshToken(ctx, token)
  if (!auth.ok) return auth
  const result = await refreshAuthentic(ctx, auth, request)
  // An authentic token refused with no state change raises `refresh_refused` (reuse and expiry
  // raise their own events); a forged or unknown one names no family, so it raises nothing.
  if (!result.ok && !SELF_REPORTED.has(result.code)) {
    ctx.emit({
      ...eventBase(auth.family, ctx.clock.now(), request.context),
      type: 'refresh_refused',
      code: result.code,
    })
  }
  return result
}

/** Refusals that raise their own events. */
const SELF_REPORTED: ReadonlySet<string> = new Set(['ERR_REFRESH_TOKEN_REUSED', 'ERR_REFRESH_TOKEN_EXPIRED'])

async function refreshAuthentic(
  ctx: EngineContext,
  auth: Extract<Authenticated, { ok: true }>,
  request: RefreshRequest,
): Promise<RefreshResult> {
  if (otherClient(auth.family, request.clientId)) return NOT_THIS_CLIENT()
  // A DPoP-bound family refreshes only with a proof: without one, nothing happens (the token is
  // useless alone, and its holder must not be able to log the user out). Another key's proof is
  // decided with the family's state in planRefresh: a thief's reuse.
  if (auth.family.jkt !== null && request.dpopJkt === undefined) {
    return failure('ERR_DPOP_PROOF_INVALID', 'this session is bound to a DPoP key: send a DPoP proof signed by it')
  }
  if (auth.retiredKey) {
    // Only reuse detection: a retired key never rotates or replays.
    const reuse = await staleOutsideWindow(ctx, auth, request.context)
    return reuse !== null && !reuse.ok ? reuse : keyRetired()
  }
  // Under a binding policy, a rotation must record who rotated: a refresh of the current
  // generation without a binding value is refused before anything is decided (nothing rotates,
  // nothing is revoked). A previous generation without one goes on to `decide`, where it matches
  // no binding and so is reuse.
  // (Another DPoP key is theft whatever the binding: it goes on, to be revoked.)
  const otherKey = auth.family.jkt !== null && request.dpopJkt !== auth.family.jkt
  if (
    request.binding === null &&
    !otherKey &&
    ctx.policy.graceBinding !== 'none' &&
    auth.generation === auth.family.generation
  ) {
    return failure('ERR_REFRESH_BINDING_MISSING', MISSING_BINDING[ctx.policy.graceBinding])
  }
  return writeWithRetry<RefreshResult>(
    ctx.store,
    auth.family,
    (family) => planRefresh(ctx, family, auth.generation, request),
    invalid,
    ctx.maxRetries,
  )
}

const NO_REQUEST: RefreshRequest = { binding: null, meta: undefined, claims: NO_CLAIMS }

/** RFC 6749 §6: a refresh token is bound to the client it was issued to; another client's presentation is refused (nothing is revoked). */
function otherClient(family: FamilyRecord, clientId: string | undefined): boolean {
  return clientId !== undefined && family.clientId !== null && family.clientId !== clientId
}

const NOT_THIS_CLIENT = () => ({
  ...failure('ERR_REFRESH_TOKEN_INVALID', 'the refresh token was not issued to this client'),
  otherClient: true as const,
})

/**
 * `engine.inspectRefreshToken`: which family an authentic refresh token belongs to, for logout
 * and RFC 7009 revocation. A rotated-away generation outside the grace window is reuse whichever
 * route it reaches: the family is revoked (`reuse_detected`) exactly as a refresh would, and the
 * answer is `ERR_REFRESH_TOKEN_REUSED`. A family already revoked or expired is left to the caller
 * (logging out of an ended session succeeds).
 */
export async function inspect(
  ctx: EngineContext,
  token: unknown,
  clientId: string | undefined,
  dpopJkt?: string | undefined,
  context?: RequestContext | undefined,
): Promise<InspectRefreshResult> {
  const auth = await authenticateRefreshToken(ctx, token)
  if (!auth.ok) return auth
  if (otherClient(auth.family, clientId)) return NOT_THIS_CLIENT()
  // A DPoP-bound family is named only with its own key's proof: the token alone (or with
  // another key's proof) ends nothing, so a thief of the useless token cannot log the user out.
  if (auth.family.jkt !== null && dpopJkt !== auth.family.jkt) {
    return failure('ERR_DPOP_PROOF_INVALID', 'this session is bound to a DPoP key: send a DPoP proof signed by it')
  }
  // A generation the family never reached was never handed out: refuse it as refresh does.
  if (auth.generation > auth.family.generation) {
    return invalid()
  }
  const found = {
    ok: true,
    familyId: auth.family.id,
    subject: auth.family.subject,
    generation: auth.generation,
  } as const
  const outcome = await staleOutsideWindow(ctx, auth, context)
  if (outcome !== null && !outcome.ok) return outcome
  return auth.retiredKey ? keyRetired() : found
}

/**
 * Reuse detection on its own: when the authenticated generation is older than the family's and
 * outside the grace window (of an active, unexpired family), the family is revoked as
 * `reuse_detected` with the alarm, and the result is that refusal; otherwise nothing is written
 * and the result is null.
 */
async function staleOutsideWindow(
  ctx: EngineContext,
  auth: Extract<Authenticated, { ok: true }>,
  context: RequestContext | undefined,
): Promise<RefreshResult | null> {
  if (auth.generation >= auth.family.generation) return null
  return writeWithRetry<RefreshResult | null>(
    ctx.store,
    auth.family,
    (family) => {
      const now = ctx.clock.now()
      const policy = ctx.policyOf(family)
      const ended = family.status !== 'active' || expiryAt(family, now, policy) !== null
      if (ended || inGraceWindow(family, auth.generation, now, policy)) return { finish: () => null }
      return planRefresh(ctx, family, auth.generation, context === undefined ? NO_REQUEST : { ...NO_REQUEST, context })
    },
    () => null,
    ctx.maxRetries,
  )
}

/**
 * A proof by the family's own key, older than the family's last rotation, with a generation that
 * rotation retired, outside the grace window: the proof (and the token) of a refresh that already
 * happened, replayed, perhaps at another node whose replay cache never saw its `jti`. A client
 * holding the key signs a fresh proof for every request, so this is no presentation by it, and
 * no reuse: refused, nothing revoked. Inside the grace window it is a replay and gets the bound
 * successor, useless without the key. `rotatedAt` is the family record's own field: O(1), no
 * per-`jti` store, and every node agrees. The proof's clock may run `leeway` ahead of ours.
 */
function replayedProof(
  ctx: EngineContext,
  family: FamilyRecord,
  generation: number,
  now: number,
  request: RefreshRequest,
): boolean {
  return (
    family.jkt !== null &&
    request.dpopJkt === family.jkt &&
    request.dpopIat !== undefined &&
    generation < family.generation &&
    family.rotatedAt !== null &&
    request.dpopIat * 1000 <= family.rotatedAt + ctx.policy.leeway &&
    !inGraceWindow(family, generation, now, ctx.policyOf(family))
  )
}

function planRefresh(
  ctx: EngineContext,
  family: FamilyRecord,
  generation: number,
  request: RefreshRequest,
): Plan<RefreshResult> {
  const now = ctx.clock.now()
  const base = eventBase(family, now, request.context)
  // (A revoked family goes on to `decide`, which answers as it always does.)
  if (
    family.status === 'active' &&
    family.jkt !== null &&
    request.dpopJkt !== undefined &&
    request.dpopJkt !== family.jkt
  ) {
    return stolenKeyPlan(ctx, family, generation, now, request.context)
  }
  if (replayedProof(ctx, family, generation, now, request)) {
    return {
      finish: () =>
        failure(
          'ERR_DPOP_PROOF_INVALID',
          'DPoP proof: this proof was made before the session last rotated (a replayed proof); nothing was changed',
        ),
    }
  }
  const decision = decide(family, { type: 'refresh', generation, now, binding: request.binding }, ctx.policyOf(family))
  switch (decision.type) {
    case 'rotated': {
      // Merged, not replaced: what the login recorded (a device name) survives, while what the
      // refreshing request says (user agent, IP) shows where the family was last used.
      const next =
        request.meta === undefined
          ? decision.next
          : { ...decision.next, meta: { ...decision.next.meta, ...request.meta } }
      return {
        write: next,
        async after() {
          const pair = await tokenPair(ctx, next, next.generation, now, request.claims, request.accessTtl)
          ctx.emit({ ...base, type: 'rotated', generation: next.generation })
          return { ok: true, type: 'rotated', pair, family: toSummary(next) }
        },
      }
    }
    case 'replayed':
      // Nothing is written: the successor is recomputed from (nonce, generation), so it is the
      // very token the rotation handed out; only the access token is new. (It is recomputed under
      // the active refresh key: if that key changed inside the grace window, the replay gets an
      // equally valid token for the same generation under the new key.)
      return {
        async finish() {
          const pair = await tokenPair(ctx, family, decision.generation, now, request.claims, request.accessTtl)
          ctx.emit({ ...base, type: 'replayed', generation: decision.generation })
          return { ok: true, type: 'replayed', pair, family: toSummary(family) }
        },
      }
    case 'reuse_detected':
      return reusePlan(
        ctx,
        family,
        decision.next,
        generation,
        now,
        'this refresh token was already used; the session has been ended on every device',
        request.context,
      )
    case 'expired':
      return {
        write: decision.next,
        after() {
          ctx.emit({ ...base, type: 'expired', kind: decision.kind })
          return {
            ...failure('ERR_REFRESH_TOKEN_EXPIRED', 'the session has expired; log in again'),
            familyId: family.id,
            revocationReason: 'expired',
          }
        },
      }
    case 'rejected':
      switch (decision.reason) {
        case 'revoked':
          return {
            finish: () => ({
              ...failure('ERR_REFRESH_TOKEN_REVOKED', 'the session has ended; log in again'),
              familyId: family.id,
              ...(family.revocation === null ? {} : { revocationReason: family.revocation.reason }),
            }),
          }
        case 'unknown_generation':
          return { finish: invalid }
        default: {
          const _never: never = decision.reason
          return _never
        }
      }
    case 'revoked':
    case 'reauthenticated':
      throw new Error(`@auth/core internal error: decide answered ${decision.type} to a refresh`)
    default: {
      const _never: never = decision
      return _never
    }
  }
}

/**
 * A DPoP-bound family's token with a valid proof by another key: whoever holds it stole the
 * token, not the key. Reuse: the family is revoked with the alarm, whatever generation was shown.
 */
function stolenKeyPlan(
  ctx: EngineContext,
  family: FamilyRecord,
  generation: number,
  now: number,
  context: RequestContext | undefined,
): Plan<RefreshResult> {
  const decision = decide(family, { type: 'revoke', reason: 'reuse_detected', now }, ctx.policyOf(family))
  const message = 'this refresh token is bound to another DPoP key; the session has been ended'
  // An active family always takes a revoke (rule 2); anything else is a bug.
  if (decision.type !== 'revoked')
    throw new AuthError('ERR_STORAGE_CORRUPT', 'a revoke of an active family was refused')
  return reusePlan(ctx, family, decision.next, generation, now, message, context)
}

/** Reuse: write the revoked record, then raise `reuse_detected` and `revoked`, and refuse. */
function reusePlan(
  ctx: EngineContext,
  family: FamilyRecord,
  next: FamilyRecord,
  generation: number,
  now: number,
  message: string,
  context: RequestContext | undefined,
): Plan<RefreshResult> {
  return {
    write: next,
    after() {
      const base = eventBase(family, now, context)
      ctx.emit({
        ...base,
        type: 'reuse_detected',
        presentedGeneration: generation,
        currentGeneration: family.generation,
      })
      ctx.emit({ ...base, type: 'revoked', reason: 'reuse_detected' })
      return {
        ...failure('ERR_REFRESH_TOKEN_REUSED', message),
        familyId: family.id,
        revocationReason: 'reuse_detected',
      }
    },
  }
}
