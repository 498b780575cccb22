import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { type LifetimePolicy, resolvePolicy } from '../policy/policy.js'
import { decide } from './decide.js'
import { createFamilyRecord } from './record.js'
import type { Decision, FamilyEvent, FamilyRecord } from './types.js'

const T0 = 1_700_000_000_000
const policy: LifetimePolicy = resolvePolicy({
  accessTtl: '15m',
  refreshIdleTtl: '1d',
  sessionMaxAge: '7d',
  reuseGrace: '10s',
  graceBinding: 'user_agent',
})
const open: LifetimePolicy = { ...policy, graceBinding: 'none' }
const UA = 'Mozilla/5.0 honest'

function login(now = T0, p: LifetimePolicy = policy): FamilyRecord {
  return createFamilyRecord({ id: 'fam', subject: 'alice', now, nonce: 'n0nce', meta: { ua: UA }, policy: p })
}
const refresh = (generation: number, now: number, binding: string | null = UA): FamilyEvent => ({
  type: 'refresh',
  generation,
  now,
  binding,
})

/** Narrows a decision to one type, failing the test otherwise. */
function expectType<T extends Decision['type']>(d: Decision, type: T): Extract<Decision, { type: T }> {
  expect(d.type).toBe(type)
  return d as Extract<Decision, { type: T }>
}
function rotate(f: FamilyRecord, now: number, binding: string | null = UA, p = policy): FamilyRecord {
  return expectType(decide(f, refresh(f.generation, now, binding), p), 'rotated').next
}

describe('createFamilyRecord', () => {
  it('builds generation 0 at version 1 with both expiries', () => {
    const f = login()
    expect(f).toEqual({
      id: 'fam',
      subject: 'alice',
      generation: 0,
      status: 'active',
      revocation: null,
      createdAt: T0,
      authTime: T0,
      lastUsedAt: T0,
      rotatedAt: null,
      rotatedBinding: null,
      expiresAt: T0 + 7 * 86_400_000,
      idleExpiresAt: T0 + 86_400_000,
      version: 1,
      nonce: 'n0nce',
      meta: { ua: UA },
      claims: {},
      policy: null,
      clientId: null,
      jkt: null,
    })
  })
  it('caps idle expiry at the absolute one, and defaults meta to {}', () => {
    const p = { ...policy, refreshIdleTtl: policy.sessionMaxAge }
    const f = createFamilyRecord({ id: 'x', subject: 's', now: T0, nonce: 'n', policy: p })
    expect(f.idleExpiresAt).toBe(f.expiresAt)
    expect(f.meta).toEqual({})
  })
  it('refuses a broken clock', () => {
    expect(() => createFamilyRecord({ id: 'x', subject: 's', now: Number.NaN, nonce: 'n', policy })).toThrow(AuthError)
  })
})

describe('decide: rotation', () => {
  it('rotates the current generation', () => {
    const f = login()
    const next = expectType(decide(f, refresh(0, T0 + 60_000), policy), 'rotated').next
    expect(next).toEqual({
      ...f,
      generation: 1,
      lastUsedAt: T0 + 60_000,
      rotatedAt: T0 + 60_000,
      rotatedBinding: UA,
      idleExpiresAt: T0 + 60_000 + 86_400_000,
      version: 2,
    })
  })
  it('caps the new idle expiry at the absolute expiry', () => {
    const f = login()
    const now = f.expiresAt - 1000
    // keep the family alive up to there with a rotation every half day
    let g = f
    for (let t = T0 + 43_200_000; t < now; t += 43_200_000) g = rotate(g, t)
    const next = rotate(g, now)
    expect(next.idleExpiresAt).toBe(f.expiresAt)
  })
  it('never moves times backwards when this node is behind by up to leeway', () => {
    const f = rotate(login(), T0 + 60_000)
    const next = rotate(f, T0 + 57_000) // 3 s behind, inside the 5 s leeway
    expect(next.generation).toBe(2)
    expect(next.lastUsedAt).toBe(T0 + 60_000)
    expect(next.rotatedAt).toBe(T0 + 60_000)
    expect(next.idleExpiresAt).toBe(f.idleExpiresAt)
  })
  it('a rotation stamped further ahead than leeway is not carried forward (review finding 10)', () => {
    // The previous rotation came from a node 10 s fast: the next one is stamped at most now + leeway.
    const f = rotate(login(), T0 + 60_000)
    const next = rotate(f, T0 + 50_000)
    expect(next.rotatedAt).toBe(T0 + 50_000 + policy.leeway)
    expect(next.lastUsedAt).toBe(T0 + 60_000)
  })
  it('does not touch authTime, createdAt, nonce or meta', () => {
    const f = login()
    const next = rotate(rotate(f, T0 + 1000), T0 + 2000)
    expect([next.authTime, next.createdAt, next.nonce, next.meta]).toEqual([f.authTime, f.createdAt, f.nonce, f.meta])
  })
})

describe('decide: grace window', () => {
  const f1 = rotate(login(), T0 + 60_000)
  const edge = T0 + 60_000 + 10_000

  it('replays the previous generation inside the window, writing nothing', () => {
    expect(decide(f1, refresh(0, T0 + 60_000), policy)).toEqual({ type: 'replayed', generation: 1 })
    expect(decide(f1, refresh(0, edge - 1), policy)).toEqual({ type: 'replayed', generation: 1 })
  })
  it('treats exactly rotatedAt + reuseGrace as outside the window', () => {
    const next = expectType(decide(f1, refresh(0, edge), policy), 'reuse_detected').next
    expect(next.status).toBe('revoked')
    expect(next.revocation).toEqual({ reason: 'reuse_detected', at: edge })
    expect(next.version).toBe(f1.version + 1)
    expect(next.generation).toBe(f1.generation)
  })
  it('replays a presentation from a node whose clock is behind the rotation', () => {
    expect(decide(f1, refresh(0, T0 + 55_000), policy)).toEqual({ type: 'replayed', generation: 1 })
  })
  it('counts a replay from another binding as reuse', () => {
    expectType(decide(f1, refresh(0, T0 + 61_000, 'curl/8 thief'), policy), 'reuse_detected')
    expectType(decide(f1, refresh(0, T0 + 61_000, null), policy), 'reuse_detected')
  })
  it('ignores the binding under graceBinding none', () => {
    const g1 = rotate(login(T0, open), T0 + 60_000, UA, open)
    expect(decide(g1, refresh(0, T0 + 61_000, 'curl/8 thief'), open)).toEqual({ type: 'replayed', generation: 1 })
    expectType(decide(g1, refresh(0, edge, 'curl/8 thief'), open), 'reuse_detected')
  })
  it('a replay without a binding value matches no binding, not even a rotation without one: it is reuse', () => {
    // Review finding 1: a null binding used to match a null binding, so a replay that simply
    // left out its User-Agent passed any binding.
    const g1 = rotate(login(), T0 + 60_000, UA)
    expectType(decide(g1, refresh(0, T0 + 61_000, null), policy), 'reuse_detected')
    const unbound = rotate(login(), T0 + 60_000, null)
    expectType(decide(unbound, refresh(0, T0 + 61_000, null), policy), 'reuse_detected')
    expectType(decide(unbound, refresh(0, T0 + 61_000, UA), policy), 'reuse_detected')
    // Under graceBinding 'none' bindings are not compared at all.
    const none = { ...policy, graceBinding: 'none' as const }
    expect(decide(unbound, refresh(0, T0 + 61_000, null), none)).toEqual({ type: 'replayed', generation: 1 })
  })
  it('has no window at all when reuseGrace is 0', () => {
    const p = { ...policy, reuseGrace: 0 }
    const g1 = rotate(login(T0, p), T0 + 60_000, UA, p)
    expectType(decide(g1, refresh(0, T0 + 60_000), p), 'reuse_detected')
  })
})

describe('decide: reuse', () => {
  it('revokes on any generation older than the previous one, even inside the window', () => {
    const f2 = rotate(rotate(login(), T0 + 1000), T0 + 2000)
    expectType(decide(f2, refresh(0, T0 + 2001), policy), 'reuse_detected')
  })
  it('revokes on generation 0 presented again after its rotation, once the window closed', () => {
    const f1 = rotate(login(), T0 + 1000)
    expectType(decide(f1, refresh(0, T0 + 3_600_000), policy), 'reuse_detected')
  })
})

describe('decide: unknown generations', () => {
  it('rejects a generation from the future without touching the family', () => {
    const f = login()
    expect(decide(f, refresh(1, T0 + 1000), policy)).toEqual({ type: 'rejected', reason: 'unknown_generation' })
  })
  it('rejects nonsense generations', () => {
    const f1 = rotate(login(), T0 + 1000)
    for (const g of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
      expect(decide(f1, refresh(g, T0 + 1001), policy)).toEqual({ type: 'rejected', reason: 'unknown_generation' })
    }
  })
})

describe('decide: expiry', () => {
  const f = login()
  it('is alive one millisecond before idle expiry and dead exactly at it', () => {
    expectType(decide(f, refresh(0, f.idleExpiresAt - 1), policy), 'rotated')
    const d = expectType(decide(f, refresh(0, f.idleExpiresAt), policy), 'expired')
    expect(d.kind).toBe('idle')
    expect(d.next.status).toBe('revoked')
    expect(d.next.revocation).toEqual({ reason: 'expired', at: f.idleExpiresAt })
    expect(d.next.version).toBe(f.version + 1)
  })
  it('is dead exactly at absolute expiry, which wins over idle', () => {
    let g = f
    for (let t = T0 + 43_200_000; t < f.expiresAt; t += 43_200_000) g = rotate(g, t)
    expect(g.idleExpiresAt).toBe(f.expiresAt)
    expectType(decide(g, refresh(g.generation, f.expiresAt - 1), policy), 'rotated')
    expect(expectType(decide(g, refresh(g.generation, f.expiresAt), policy), 'expired').kind).toBe('absolute')
    expect(expectType(decide(f, refresh(0, f.expiresAt + 1), policy), 'expired').kind).toBe('absolute')
  })
  it('checks expiry before the generation: even a replay or a reuse only expires the family', () => {
    const f1 = rotate(f, T0 + 1000)
    expectType(decide(f1, refresh(0, f1.idleExpiresAt), policy), 'expired')
    expectType(decide(f1, refresh(7, f1.idleExpiresAt), policy), 'expired')
  })
  it('refuses to reauthenticate an expired family', () => {
    expectType(decide(f, { type: 'reauthenticate', now: f.idleExpiresAt }, policy), 'expired')
  })
  it('lets revoke end an expired-but-active family with its own reason', () => {
    const d = expectType(decide(f, { type: 'revoke', reason: 'logout', now: f.expiresAt + 5 }, policy), 'revoked')
    expect(d.next.revocation).toEqual({ reason: 'logout', at: f.expiresAt + 5 })
  })
})

describe('decide: revoke and reauthenticate', () => {
  it('revokes with the given reason and bumps only status, revocation and version', () => {
    const f = rotate(login(), T0 + 1000)
    const d = expectType(decide(f, { type: 'revoke', reason: 'admin', now: T0 + 2000 }, policy), 'revoked')
    expect(d.next).toEqual({
      ...f,
      status: 'revoked',
      revocation: { reason: 'admin', at: T0 + 2000 },
      version: f.version + 1,
    })
  })
  it('moves authTime on reauthenticate and nothing else but the version', () => {
    const f = rotate(login(), T0 + 1000)
    const d = expectType(decide(f, { type: 'reauthenticate', now: T0 + 5000 }, policy), 'reauthenticated')
    expect(d.next).toEqual({ ...f, authTime: T0 + 5000, version: f.version + 1 })
  })
  it('never moves authTime backwards on a lagging node', () => {
    const f = expectType(decide(login(), { type: 'reauthenticate', now: T0 + 5000 }, policy), 'reauthenticated').next
    const d = expectType(decide(f, { type: 'reauthenticate', now: T0 + 4000 }, policy), 'reauthenticated')
    expect(d.next.authTime).toBe(T0 + 5000)
  })
})

describe('decide: revoked is absorbing', () => {
  const dead = expectType(decide(login(), { type: 'revoke', reason: 'logout', now: T0 + 1 }, policy), 'revoked').next
  const events: FamilyEvent[] = [
    refresh(0, T0 + 2),
    refresh(1, T0 + 2),
    refresh(-1, T0 + 2),
    refresh(0, dead.expiresAt + 1),
    { type: 'revoke', reason: 'admin', now: T0 + 2 },
    { type: 'reauthenticate', now: T0 + 2 },
  ]
  it.each(events)('rejects %o', (event) => {
    expect(decide(dead, event, policy)).toEqual({ type: 'rejected', reason: 'revoked' })
  })
})

describe('decide: misuse', () => {
  it('throws ERR_CONFIG_INVALID for a clock that is not a finite number', () => {
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        decide(login(), refresh(0, now), policy)
        expect.unreachable()
      } catch (e) {
        expect((e as AuthError).code).toBe('ERR_CONFIG_INVALID')
      }
    }
  })
})

describe('decide: the grace window is where a thief can hide (DESIGN.md)', () => {
  /** The thief refreshes, then the honest client replays the same token 1 s later, over and over. */
  function inStep(p: LifetimePolicy, thief: string): Decision['type'][] {
    let f = login(T0, p)
    const outcomes: Decision['type'][] = []
    for (let i = 1; i <= 5; i++) {
      const t = T0 + i * 60_000
      const stolen = f.generation
      f = rotate(f, t, thief, p)
      const honest = decide(f, refresh(stolen, t + 1000, UA), p)
      outcomes.push(honest.type)
      if (honest.type !== 'replayed') break
    }
    return outcomes
  }
  it('keeps a thief who always refreshes first in step when replays are not bound', () => {
    expect(inStep(open, 'curl/8 thief')).toEqual(['replayed', 'replayed', 'replayed', 'replayed', 'replayed'])
  })
  it('catches the same thief at the first honest replay when replays are bound to the user agent', () => {
    expect(inStep(policy, 'curl/8 thief')).toEqual(['reuse_detected'])
  })
  it('catches even an unbound thief once the honest client is late by the grace window', () => {
    const f1 = rotate(login(T0, open), T0 + 60_000, 'curl/8 thief', open)
    expectType(decide(f1, refresh(0, T0 + 70_000, UA), open), 'reuse_detected')
  })
})
