import {
  createEngine,
  type Engine,
  type FamilyRecord,
  type FamilyStore,
  type GraceBinding,
  isAuthError,
  type RefreshResult,
} from '@auth/core'
import { decide } from '@auth/core/machine'
import { listAllBySubject, type ManualClock } from '@auth/core/testing'
import { parseRefreshToken } from '@auth/core/tokens'
import fc from 'fast-check'
import { expect } from 'vitest'
import { createFaultyStore, type Fault, faultSchedule } from './faulty-store.js'

/** The policy of the model (milliseconds in the comments). */
export const MODEL_POLICY = {
  accessTtl: '10m',
  refreshIdleTtl: '1h', // 3_600_000
  sessionMaxAge: '1d',
  reuseGrace: '10s', // 10_000
  leeway: '5s',
} as const

const SECRET = 'WcSyf0t/7qVhVYeKfRGPP2qzhqgwX/VbfdqahXMmcGw='
const OUTAGE_CODES = ['ERR_STORAGE_UNAVAILABLE', 'ERR_STORAGE_CONFLICT']

type Ua = 'A' | 'B'

/** One step of a generated run: an engine operation and the faults of its store calls, in call order. */
export type Step =
  | { readonly type: 'issue'; readonly subject: number; readonly ua: Ua; readonly faults: readonly (Fault | null)[] }
  | {
      readonly type: 'refresh'
      readonly client: number
      /** Present the client's previous token (a replay) instead of its current one. */
      readonly old: boolean
      /** The user agent of the request, and of its retry after an outage. */
      readonly ua: 'own' | 'other'
      readonly retryUa: 'own' | 'other'
      readonly faults: readonly (Fault | null)[]
    }
  | { readonly type: 'concurrent'; readonly client: number; readonly faults: readonly (Fault | null)[] }
  | { readonly type: 'revoke'; readonly client: number; readonly faults: readonly (Fault | null)[] }
  | { readonly type: 'revokeAll'; readonly subject: number; readonly faults: readonly (Fault | null)[] }
  | { readonly type: 'advance'; readonly ms: number }

const faultArb: fc.Arbitrary<Fault | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), error: fc.constantFrom('typed', 'raw') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('slow' as const), delayMs: fc.integer({ min: 0, max: 2 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('apply_then_fail' as const), error: fc.constantFrom('typed', 'raw') }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'late_apply' as const }) },
)
const faultsArb = fc.array(faultArb, { maxLength: 4 })
const uaArb = fc.constantFrom<Ua>('A', 'B')
const whoArb = fc.constantFrom<'own' | 'other'>('own', 'own', 'other')

/** A generated step. Refreshes dominate: they are where a lost answer matters most. */
export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('issue' as const), subject: fc.nat(1), ua: uaArb, faults: faultsArb }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('refresh' as const),
      client: fc.nat(7),
      old: fc.boolean(),
      ua: whoArb,
      retryUa: whoArb,
      faults: faultsArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('concurrent' as const), client: fc.nat(7), faults: faultsArb }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('revoke' as const), client: fc.nat(7), faults: faultsArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('revokeAll' as const), subject: fc.nat(1), faults: faultsArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.constantFrom(0, 1_000, 4_000, 12_000, 2 * 3_600_000),
    }),
  },
)

/** A generated run: the grace binding and the steps (the first one always logs someone in). */
export const runArb = fc.record({
  graceBinding: fc.constantFrom<GraceBinding>('none', 'user_agent'),
  steps: fc
    .tuple(
      fc.record({ type: fc.constant('issue' as const), subject: fc.nat(1), ua: uaArb, faults: fc.constant([]) }),
      fc.array(stepArb, { minLength: 1, maxLength: 14 }),
    )
    .map(([first, rest]): Step[] => [first, ...rest]),
})

/** How often the interesting paths were taken (printed by the tests, so a generator that stops reaching them shows). */
export const modelStats = {
  steps: 0,
  outages: 0,
  lostRotationReplayed: 0,
  lostRotationReuse: 0,
  neverLandedRotated: 0,
  concurrentBothOk: 0,
}

/** What the model runs against: a real store (memory, Redis, PostgreSQL) and the clock the engine uses. */
export interface ModelEnv {
  readonly inner: FamilyStore
  readonly clock: ManualClock
  /** Subject names unique to this run (a shared server keeps other runs' data). */
  readonly subjects: readonly [string, string]
  /** Milliseconds a timed-out call waits. Default 2. */
  readonly timeoutMs?: number
}

interface Client {
  readonly subject: string
  readonly familyId: string
  readonly ua: Ua
  token: string
  previous: string | undefined
}

/** What `decide` says a refresh must do, from the family as stored before it. */
interface Expected {
  readonly outcome: 'rotated' | 'replayed' | RefreshCode
  /** The record the operation writes, or null when it writes nothing. */
  readonly write: FamilyRecord | null
}
type RefreshCode = Exclude<RefreshResult, { ok: true }>['code']

/**
 * Runs `steps` against an engine whose store is `env.inner` behind a fault injector, and checks
 * after every step (faulted or not):
 * - a thrown error is an `AuthError` with an outage code, and only when a fault was injected;
 * - every family is exactly as before the operation or exactly as `decide` says it is after it;
 * - a returned token works: the family is stored at the token's generation, active, and the
 *   access token verifies; one generation's refresh token is always the same string (a replay
 *   gets the identical successor);
 * - after an outage, a retry with the same refresh token does what the policy says: a grace
 *   replay when the lost write landed (same binding), a rotation when it did not.
 */
export async function runModel(env: ModelEnv, graceBinding: GraceBinding, steps: readonly Step[]): Promise<void> {
  const { inner, clock } = env
  const faulty = createFaultyStore(inner, undefined, { timeoutMs: env.timeoutMs ?? 2 })
  const engine = createEngine({
    store: faulty,
    issuer: 'https://issuer.resilience.test',
    audience: 'resilience',
    secret: SECRET,
    clock,
    policy: { ...MODEL_POLICY, graceBinding },
    accessTokenCache: false,
  })
  const policy = engine.policy
  const clients: Client[] = []
  const known = new Set<string>()
  /** familyId:generation -> the refresh token handed out for it. */
  const handedOut = new Map<string, string>()
  const binding = (ua: Ua) => (graceBinding === 'none' ? null : `ua:${ua}`)
  const other = (ua: Ua): Ua => (ua === 'A' ? 'B' : 'A')

  const snapshot = async (): Promise<Map<string, FamilyRecord | null>> => {
    for (const subject of env.subjects) for (const f of await listAllBySubject(inner, subject)) known.add(f.id)
    const map = new Map<string, FamilyRecord | null>()
    for (const id of known) map.set(id, await inner.get(id))
    return map
  }

  const expectRefresh = (before: FamilyRecord | null, generation: number, ua: Ua): Expected => {
    if (before === null) return { outcome: 'ERR_REFRESH_TOKEN_INVALID', write: null }
    const decision = decide(before, { type: 'refresh', generation, now: clock.now(), binding: binding(ua) }, policy)
    switch (decision.type) {
      case 'rotated':
        return { outcome: 'rotated', write: decision.next }
      case 'replayed':
        return { outcome: 'replayed', write: null }
      case 'reuse_detected':
        return { outcome: 'ERR_REFRESH_TOKEN_REUSED', write: decision.next }
      case 'expired':
        return { outcome: 'ERR_REFRESH_TOKEN_EXPIRED', write: decision.next }
      case 'rejected':
        return {
          outcome: decision.reason === 'revoked' ? 'ERR_REFRESH_TOKEN_REVOKED' : 'ERR_REFRESH_TOKEN_INVALID',
          write: null,
        }
      default:
        throw new Error(`decide answered ${decision.type} to a refresh`)
    }
  }

  /** Faults that make an operation fail (a slow call does not). */
  const injected = () => faulty.calls.some((c) => c.fault !== undefined && c.fault.kind !== 'slow')

  const expectOutage = (error: unknown, where: string) => {
    expect(isAuthError(error), `${where}: threw ${String(error)}`).toBe(true)
    expect(OUTAGE_CODES, where).toContain((error as { code: string }).code)
    expect(injected(), `${where}: an outage error without an injected fault: ${String(error)}`).toBe(true)
    modelStats.outages++
  }

  const attempt = async <T>(run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> => {
    try {
      return { ok: true, value: await run() }
    } catch (error) {
      return { ok: false, error }
    } finally {
      await faulty.settled()
    }
  }

  /** The token works: stored at its generation and active; its access token verifies; one string per generation. */
  const expectUsable = async (result: Extract<RefreshResult, { ok: true }>, familyId: string) => {
    const { pair } = result
    expect(pair.familyId).toBe(familyId)
    const stored = await inner.get(familyId)
    expect(stored?.status, 'a token was returned for a family that is not active').toBe('active')
    expect(stored?.generation, 'a token was returned for a generation the store does not hold').toBe(pair.generation)
    const access = await engine.verifyAccess(pair.accessToken)
    expect(access.ok && access.claims.sid).toBe(familyId)
    const key = `${familyId}:${pair.generation}`
    const seen = handedOut.get(key)
    if (seen !== undefined) expect(pair.refreshToken, 'a replay must return the identical successor').toBe(seen)
    else handedOut.set(key, pair.refreshToken)
  }

  /** Checks a refresh's result against what `decide` expected, and the store against the two allowed states. */
  const checkRefresh = async (
    where: string,
    client: Client,
    result: RefreshResult,
    expected: Expected,
    before: FamilyRecord | null,
  ) => {
    const after = await inner.get(client.familyId)
    if (result.ok) {
      expect(result.type, where).toBe(expected.outcome)
      expect(after, where).toEqual(expected.write ?? before)
      await expectUsable(result, client.familyId)
    } else {
      expect(result.code, where).toBe(expected.outcome)
      expect(after, where).toEqual(expected.write ?? before)
    }
  }

  const expectBeforeOrAfter = (
    where: string,
    actual: FamilyRecord | null | undefined,
    before: FamilyRecord | null | undefined,
    write: FamilyRecord | null,
  ): 'before' | 'after' => {
    if (write !== null && isEqual(actual, write)) return 'after'
    expect(actual, `${where}: the family is neither as before nor as after the operation`).toEqual(before)
    return 'before'
  }

  for (const [i, step] of steps.entries()) {
    modelStats.steps++
    const where = `step ${i} ${JSON.stringify(step)}`
    switch (step.type) {
      case 'advance':
        clock.advance(step.ms)
        break

      case 'issue': {
        const subject = env.subjects[step.subject] as string
        const before = await snapshot()
        faulty.setPlan(faultSchedule(step.faults))
        let outcome = await attempt(() => engine.issue(subject, { meta: { ua: step.ua } }))
        faulty.clear()
        const after = await snapshot()
        const fresh = [...after.keys()].filter((id) => !before.has(id))
        expect(fresh.length, `${where}: one issue created ${fresh.length} families`).toBeLessThanOrEqual(1)
        for (const id of fresh) {
          const record = after.get(id)
          expect(record?.generation).toBe(0)
          expect(record?.status).toBe('active')
          expect(record?.subject).toBe(subject)
        }
        for (const [id, record] of before) expect(after.get(id), `${where}: issue touched ${id}`).toEqual(record)
        if (!outcome.ok) {
          expectOutage(outcome.error, where)
          // The caller retries the login; no fault this time.
          outcome = await attempt(() => engine.issue(subject, { meta: { ua: step.ua } }))
          expect(outcome.ok, `${where}: retry`).toBe(true)
        } else {
          expect(fresh, `${where}: the returned family is the one stored`).toEqual([outcome.value.familyId])
        }
        if (outcome.ok) {
          const pair = outcome.value
          const stored = await inner.get(pair.familyId)
          expect(stored?.generation).toBe(0)
          handedOut.set(`${pair.familyId}:0`, pair.refreshToken)
          clients.push({ subject, familyId: pair.familyId, ua: step.ua, token: pair.refreshToken, previous: undefined })
        }
        break
      }

      case 'refresh': {
        const client = clients[step.client % clients.length] as Client
        const token = step.old ? client.previous : client.token
        if (token === undefined) break
        // The token's generation, read without the engine: inspectRefreshToken is no oracle, since
        // it detects reuse (and revokes) like a refresh does.
        const before = await inner.get(client.familyId)
        const generation = generationOf(token, before)
        const ua = step.ua === 'own' ? client.ua : other(client.ua)
        const expected = expectRefresh(before, generation, ua)
        faulty.setPlan(faultSchedule(step.faults))
        const outcome = await attempt(() => engine.refresh(token, { binding: binding(ua) }))
        faulty.clear()
        if (outcome.ok) {
          await checkRefresh(where, client, outcome.value, expected, before)
          if (outcome.value.ok) adopt(client, outcome.value.pair.refreshToken)
          break
        }
        expectOutage(outcome.error, where)
        const now = await inner.get(client.familyId)
        const state = expectBeforeOrAfter(where, now, before, expected.write)
        // The client retries with the same token: what the policy says for the state the store is in.
        const retryUa = step.retryUa === 'own' ? ua : other(ua)
        const again = expectRefresh(now, generation, retryUa)
        const retried = await attempt(() => engine.refresh(token, { binding: binding(retryUa) }))
        expect(retried.ok, `${where}: retry threw ${retried.ok ? '' : String(retried.error)}`).toBe(true)
        if (!retried.ok) break
        await checkRefresh(`${where} (retry)`, client, retried.value, again, now)
        if (state === 'after' && expected.outcome === 'rotated') {
          // The lost rotation landed: the same client inside the window gets the very successor
          // (a replay, not a reuse revocation); another binding is reuse when the policy binds.
          const sameBinding = graceBinding === 'none' || retryUa === ua
          if (sameBinding) {
            expect(retried.value.ok && retried.value.type, `${where}: retry after a lost rotation`).toBe('replayed')
            modelStats.lostRotationReplayed++
          } else {
            expect(!retried.value.ok && retried.value.code).toBe('ERR_REFRESH_TOKEN_REUSED')
            modelStats.lostRotationReuse++
          }
        }
        if (state === 'before' && expected.outcome === 'rotated') {
          expect(retried.value.ok && retried.value.type, `${where}: retry after a rotation that never landed`).toBe(
            'rotated',
          )
          modelStats.neverLandedRotated++
        }
        if (retried.value.ok) adopt(client, retried.value.pair.refreshToken)
        break
      }

      case 'concurrent': {
        // Two tabs of one browser present the same token at once; faults hit their calls in arrival order.
        const client = clients[step.client % clients.length] as Client
        const token = client.token
        const before = await inner.get(client.familyId)
        const generation = generationOf(token, before)
        const expected = expectRefresh(before, generation, client.ua)
        faulty.setPlan(faultSchedule(step.faults))
        const outcomes = await Promise.all([
          attempt(() => engine.refresh(token, { binding: binding(client.ua) })),
          attempt(() => engine.refresh(token, { binding: binding(client.ua) })),
        ])
        faulty.clear()
        await faulty.settled()
        const after = await inner.get(client.familyId)
        const state = expectBeforeOrAfter(where, after, before, expected.write)
        const tokens = new Set<string>()
        for (const outcome of outcomes) {
          if (!outcome.ok) {
            expectOutage(outcome.error, where)
            continue
          }
          const result = outcome.value
          if (result.ok) {
            expect(['rotated', 'replayed'], where).toContain(expected.outcome)
            expect(state, `${where}: a token was returned but the rotation is not stored`).toBe(
              expected.write === null ? 'before' : 'after',
            )
            await expectUsable(result, client.familyId)
            tokens.add(result.pair.refreshToken)
          } else {
            // The loser of a reuse race finds the family already revoked by the winner.
            const allowed = [
              expected.outcome,
              ...(expected.write?.status === 'revoked' ? ['ERR_REFRESH_TOKEN_REVOKED'] : []),
            ]
            expect(allowed, where).toContain(result.code)
            expect(state, where).toBe(expected.write === null ? 'before' : 'after')
          }
        }
        expect(tokens.size, `${where}: two tabs got different successors`).toBeLessThanOrEqual(1)
        if (outcomes.every((o) => o.ok && o.value.ok)) modelStats.concurrentBothOk++
        const [successor] = tokens
        if (successor !== undefined) adopt(client, successor)
        break
      }

      case 'revoke': {
        const client = clients[step.client % clients.length] as Client
        const before = await inner.get(client.familyId)
        const write = expectRevoke(before, 'admin')
        faulty.setPlan(faultSchedule(step.faults))
        const outcome = await attempt(() => engine.revoke(client.familyId, 'admin'))
        faulty.clear()
        const after = await inner.get(client.familyId)
        if (outcome.ok) {
          expect(after, where).toEqual(write.write ?? before)
          expect(outcome.value.ok ? 'ok' : outcome.value.code, where).toBe(write.outcome)
          break
        }
        expectOutage(outcome.error, where)
        expectBeforeOrAfter(where, after, before, write.write)
        const retried = await attempt(() => engine.revoke(client.familyId, 'admin'))
        expect(retried.ok, `${where}: retry`).toBe(true)
        const final = await inner.get(client.familyId)
        expect(final === null || final.status === 'revoked', `${where}: alive after a retried revoke`).toBe(true)
        break
      }

      case 'revokeAll': {
        const subject = env.subjects[step.subject] as string
        const before = await snapshot()
        const now = clock.now()
        const writes = new Map<string, FamilyRecord>()
        for (const [id, record] of before) {
          const live = record?.subject === subject && record.status === 'active'
          if (live && now < record.idleExpiresAt && now < record.expiresAt) {
            const w = expectRevoke(record, 'logout_all').write
            if (w !== null) writes.set(id, w)
          }
        }
        faulty.setPlan(faultSchedule(step.faults))
        const outcome = await attempt(() => engine.revokeAll(subject))
        faulty.clear()
        const after = await snapshot()
        for (const [id, record] of before) {
          const write = writes.get(id) ?? null
          if (outcome.ok) expect(after.get(id), `${where}: ${id}`).toEqual(write ?? record)
          else expectBeforeOrAfter(`${where}: ${id}`, after.get(id), record, write)
        }
        if (outcome.ok) {
          expect(outcome.value.revoked, where).toBe(writes.size)
          break
        }
        expectOutage(outcome.error, where)
        const retried = await attempt(() => engine.revokeAll(subject))
        expect(retried.ok, `${where}: retry`).toBe(true)
        const final = await snapshot()
        for (const id of writes.keys()) expect(final.get(id)?.status, `${where}: ${id} after retry`).toBe('revoked')
        break
      }

      default: {
        const _never: never = step
        throw new Error(`unknown step ${JSON.stringify(_never)}`)
      }
    }
  }

  function expectRevoke(
    before: FamilyRecord | null,
    reason: 'admin' | 'logout_all',
  ): { outcome: string; write: FamilyRecord | null } {
    if (before === null) return { outcome: 'ERR_FAMILY_NOT_FOUND', write: null }
    const decision = decide(before, { type: 'revoke', reason, now: clock.now() }, policy)
    switch (decision.type) {
      case 'revoked':
        return { outcome: 'ok', write: decision.next }
      case 'expired':
        return { outcome: 'ERR_FAMILY_EXPIRED', write: decision.next }
      case 'rejected':
        return { outcome: 'ERR_FAMILY_REVOKED', write: null }
      default:
        throw new Error(`decide answered ${decision.type} to a revoke`)
    }
  }
}

function adopt(client: Client, token: string): void {
  if (token === client.token) return
  client.previous = client.token
  client.token = token
}

function isEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b)
    return true
  } catch {
    return false
  }
}

/** An engine on `store` for tests that only need one (not the model). */
export function modelEngine(store: FamilyStore, clock: ManualClock, graceBinding: GraceBinding): Engine {
  return createEngine({
    store,
    issuer: 'https://issuer.resilience.test',
    audience: 'resilience',
    secret: SECRET,
    clock,
    policy: { ...MODEL_POLICY, graceBinding },
  })
}

/** The generation a refresh token we issued carries (-1 once its family is gone from the store). */
function generationOf(token: string, family: FamilyRecord | null): number {
  const parsed = parseRefreshToken(token)
  if (!parsed.ok) throw new Error(`the model holds a token that does not parse: ${parsed.code}`)
  return family === null ? -1 : parsed.token.generation
}
