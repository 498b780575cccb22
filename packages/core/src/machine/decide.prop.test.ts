/**
 * The six properties of DESIGN.md ("The state machine"), each checked with fast-check over
 * 1,000 runs. Where order matters (1, 4, 5, 6) the checks are model-based: `fc.commands`
 * generates a sequence of presentations, clock advances, revocations and re-authentications, and
 * a deliberately small model (which tokens were issued, which is current, when and by whom the
 * last rotation happened, is the family dead) predicts what each step may and must do.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { GraceBinding, LifetimePolicy } from '../policy/policy.js'
import { decide } from './decide.js'
import { createFamilyRecord } from './record.js'
import {
  type Decision,
  type FamilyEvent,
  type FamilyRecord,
  REVOCATION_REASONS,
  type RevocationReason,
} from './types.js'

const RUNS = { numRuns: 1000 } as const
const T0 = 1_700_000_000_000
const DAY = 86_400_000
const REASONS: readonly RevocationReason[] = REVOCATION_REASONS
const BINDINGS = ['ua-a', 'ua-b', null] as const

/** A working outcome hands the presenter a usable refresh token. */
const working = (d: Decision): boolean => d.type === 'rotated' || d.type === 'replayed'

/** What the engine does with a decision: write `next` if there is one. */
function apply(family: FamilyRecord, d: Decision): FamilyRecord {
  switch (d.type) {
    case 'rotated':
    case 'reuse_detected':
    case 'expired':
    case 'revoked':
    case 'reauthenticated':
      return d.next
    case 'replayed':
    case 'rejected':
      return family
    default: {
      const _never: never = d
      return _never
    }
  }
}

function makePolicy(p: Partial<LifetimePolicy>): LifetimePolicy {
  return {
    accessTtl: 15 * 60_000,
    refreshIdleTtl: DAY,
    sessionMaxAge: 30 * DAY,
    reuseGrace: 10_000,
    leeway: 0,
    maxFamiliesPerSubject: 100,
    sessionCookies: false,
    graceBinding: 'none',
    ...p,
  }
}

/** Grace windows worth trying: none, one millisecond, and ordinary ones. */
const graceArb = fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 2, max: 20_000 }))

/** Clock advances that often land exactly on, or one millisecond either side of, the grace edge. */
const waitArb = (grace: number) =>
  fc.oneof(
    fc.constant(0),
    fc.constantFrom(Math.max(grace - 1, 0), grace, grace + 1),
    fc.integer({ min: 0, max: 2 * grace + 2 }),
  )

/** The real system under test: one stored family, and the policy it lives under. */
interface Real {
  family: FamilyRecord
  readonly policy: LifetimePolicy
}

function login(policy: LifetimePolicy): FamilyRecord {
  return createFamilyRecord({ id: 'fam', subject: 'alice', now: T0, nonce: 'nonce', policy })
}

function step(r: Real, event: FamilyEvent): Decision {
  const d = decide(r.family, event, r.policy)
  r.family = apply(r.family, d)
  return d
}

// ---------------------------------------------------------------------------------------------
// Property 1: at most one generation can rotate; at most the one before it can be replayed, and
// only inside the grace window.

interface IssueModel {
  now: number
  /** Tokens 0 .. issued-1 were handed out; issued-1 is the current one. */
  issued: number
  /** The rotation that issued the current token, if any. */
  lastRotation: { at: number; binding: string | null } | null
  /** Generations that have already rotated once. */
  spent: Set<number>
  dead: boolean
}

class Wait1 implements fc.Command<IssueModel, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run(m: IssueModel): void {
    m.now += this.ms
  }
  toString = () => `wait(${this.ms})`
}

class Present1 implements fc.Command<IssueModel, Real> {
  constructor(
    readonly offset: number,
    readonly binding: string | null,
  ) {}
  check = () => true
  run(m: IssueModel, r: Real): void {
    const current = m.issued - 1
    const generation = current + this.offset
    const d = step(r, { type: 'refresh', generation, now: m.now, binding: this.binding })
    const graceOpen =
      m.lastRotation !== null &&
      m.now < m.lastRotation.at + r.policy.reuseGrace &&
      (r.policy.graceBinding === 'none' || (this.binding !== null && m.lastRotation.binding === this.binding))
    if (m.dead) {
      expect(d).toEqual({ type: 'rejected', reason: 'revoked' })
    } else if (generation === current) {
      expect(d.type).toBe('rotated')
      expect(m.spent.has(generation)).toBe(false)
      m.spent.add(generation)
      m.issued += 1
      m.lastRotation = { at: m.now, binding: this.binding }
    } else if (generation === current - 1 && graceOpen) {
      expect(d).toEqual({ type: 'replayed', generation: current })
    } else if (generation >= 0 && generation < current) {
      expect(d.type).toBe('reuse_detected')
      m.dead = true
    } else {
      expect(d).toEqual({ type: 'rejected', reason: 'unknown_generation' })
    }
    expect(r.family.generation).toBe(m.issued - 1)
    expect(r.family.status).toBe(m.dead ? 'revoked' : 'active')
  }
  toString = () => `present(current${this.offset >= 0 ? '+' : ''}${this.offset}, ${this.binding})`
}

// ---------------------------------------------------------------------------------------------
// Property 4: nothing succeeds after idle or absolute expiry; the model's clock only moves forward.

interface LifeModel {
  now: number
  /** When the last rotation (or the login) happened: idle expiry counts from it. */
  lastActiveAt: number
  generation: number
  dead: boolean
}

const deadlines = (m: LifeModel, p: LifetimePolicy) => ({
  absolute: T0 + p.sessionMaxAge,
  idle: m.lastActiveAt + p.refreshIdleTtl,
})

class Wait4 implements fc.Command<LifeModel, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run(m: LifeModel): void {
    m.now += this.ms
  }
  toString = () => `wait(${this.ms})`
}

/** Jumps to one millisecond before, exactly at, or just after the nearer deadline (never backwards). */
class JumpToDeadline implements fc.Command<LifeModel, Real> {
  constructor(readonly delta: -1 | 0 | 1) {}
  check = () => true
  run(m: LifeModel, r: Real): void {
    const { absolute, idle } = deadlines(m, r.policy)
    m.now = Math.max(m.now, Math.min(absolute, idle) + this.delta)
  }
  toString = () => `jumpToDeadline(${this.delta})`
}

class Act4 implements fc.Command<LifeModel, Real> {
  constructor(readonly action: 'current' | 'previous' | 'reauthenticate') {}
  check = () => true
  run(m: LifeModel, r: Real): void {
    const event: FamilyEvent =
      this.action === 'reauthenticate'
        ? { type: 'reauthenticate', now: m.now }
        : {
            type: 'refresh',
            generation: this.action === 'current' ? m.generation : m.generation - 1,
            now: m.now,
            binding: 'ua',
          }
    const d = step(r, event)
    const { absolute, idle } = deadlines(m, r.policy)
    if (m.dead) {
      expect(d).toEqual({ type: 'rejected', reason: 'revoked' })
    } else if (m.now >= absolute || m.now >= idle) {
      expect(d.type === 'expired' && d.kind).toBe(m.now >= absolute ? 'absolute' : 'idle')
      m.dead = true
    } else {
      expect(d.type).not.toBe('expired')
      if (this.action === 'current') {
        expect(d.type).toBe('rotated')
        m.generation += 1
        m.lastActiveAt = m.now
      } else if (d.type === 'reuse_detected' || (d.type === 'rejected' && m.generation === 0)) {
        m.dead = d.type === 'reuse_detected'
      } else if (this.action === 'reauthenticate') {
        expect(d.type).toBe('reauthenticated')
      } else {
        expect(d.type).toBe('replayed')
      }
    }
    if (m.now >= Math.min(absolute, idle)) expect(working(d)).toBe(false)
    expect(r.family.status).toBe(m.dead ? 'revoked' : 'active')
  }
  toString = () => `${this.action}`
}

// ---------------------------------------------------------------------------------------------
// Property 5: generations only grow; authTime moves only on reauthenticate (and never backwards,
// even when the event's clock is skewed behind the record's).

interface GrowthModel {
  now: number
  rotations: number
  /** The latest authentication time seen: login, then the max of every accepted reauthenticate. */
  authTime: number
}

class Wait5 implements fc.Command<GrowthModel, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run(m: GrowthModel): void {
    m.now += this.ms
  }
  toString = () => `wait(${this.ms})`
}

class Act5 implements fc.Command<GrowthModel, Real> {
  constructor(
    readonly kind: 'refresh' | 'revoke' | 'reauthenticate',
    readonly offset: number,
    readonly skew: number,
    readonly binding: string | null,
    readonly reason: RevocationReason,
  ) {}
  check = () => true
  run(m: GrowthModel, r: Real): void {
    const before = r.family
    const now = m.now + this.skew
    const event: FamilyEvent =
      this.kind === 'refresh'
        ? { type: 'refresh', generation: before.generation + this.offset, now, binding: this.binding }
        : this.kind === 'revoke'
          ? { type: 'revoke', reason: this.reason, now }
          : { type: 'reauthenticate', now }
    const d = step(r, event)
    const after = r.family
    if (d.type === 'rotated') m.rotations += 1
    if (d.type === 'reauthenticated') m.authTime = Math.max(m.authTime, now)

    expect(after.generation).toBe(m.rotations)
    expect(after.generation).toBeGreaterThanOrEqual(before.generation)
    expect(after.authTime).toBe(m.authTime)
    if (d.type !== 'reauthenticated') expect(after.authTime).toBe(before.authTime)
    expect(after.version).toBe(before.version + (after === before ? 0 : 1))
    expect(after.lastUsedAt).toBeGreaterThanOrEqual(before.lastUsedAt)
    expect(after.idleExpiresAt).toBeGreaterThanOrEqual(before.idleExpiresAt)
    expect(after.idleExpiresAt).toBeLessThanOrEqual(after.expiresAt)
    // rotatedAt never moves backwards, except that it is never stamped beyond now + leeway.
    if (before.rotatedAt !== null && after !== before && d.type === 'rotated') {
      expect(after.rotatedAt).toBeGreaterThanOrEqual(Math.min(before.rotatedAt, now + r.policy.leeway))
      expect(after.rotatedAt).toBeLessThanOrEqual(Math.max(now, now + r.policy.leeway))
    } else if (before.rotatedAt !== null) {
      expect(after.rotatedAt).toBe(before.rotatedAt)
    }
    for (const key of ['id', 'subject', 'createdAt', 'expiresAt', 'nonce', 'meta'] as const) {
      expect(after[key]).toBe(before[key])
    }
  }
  toString = () => `${this.kind}(offset ${this.offset}, skew ${this.skew}, ${this.binding}, ${this.reason})`
}

// ---------------------------------------------------------------------------------------------
// Property 6: detection. The honest client and an attacker share a stolen refresh token.

type Party = 'honest' | 'attacker'

interface TheftModel {
  now: number
  current: number
  /** The generation each party holds. */
  holds: Record<Party, number>
  lastRotation: { at: number; by: Party } | null
  /** The latest rotation the attacker performed. */
  attackerRotatedAt: number | null
  /** An honest presentation has fallen outside the window of the attacker's latest rotation. */
  honestOutside: boolean
  dead: boolean
  /** Whether a replay must come from the party that rotated (distinct bindings under `user_agent`). */
  bound: boolean
}

class Wait6 implements fc.Command<TheftModel, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run(m: TheftModel): void {
    m.now += this.ms
  }
  toString = () => `wait(${this.ms})`
}

class Present6 implements fc.Command<TheftModel, Real> {
  constructor(readonly party: Party) {}
  check = () => true
  run(m: TheftModel, r: Real): void {
    const grace = r.policy.reuseGrace
    const held = m.holds[this.party]
    const d = step(r, { type: 'refresh', generation: held, now: m.now, binding: `ua-${this.party}` })
    const inWindow =
      held === m.current - 1 &&
      m.lastRotation !== null &&
      m.now < m.lastRotation.at + grace &&
      (!m.bound || m.lastRotation.by === this.party)

    if (
      this.party === 'honest' &&
      held < m.current &&
      m.attackerRotatedAt !== null &&
      m.now >= m.attackerRotatedAt + grace
    ) {
      m.honestOutside = true
    }
    if (m.dead) {
      // Nobody gets a working token after detection.
      expect(d).toEqual({ type: 'rejected', reason: 'revoked' })
    } else if (held === m.current) {
      expect(d.type).toBe('rotated')
      m.current += 1
      m.holds[this.party] = m.current
      m.lastRotation = { at: m.now, by: this.party }
      if (this.party === 'attacker') m.attackerRotatedAt = m.now
    } else if (inWindow) {
      expect(d).toEqual({ type: 'replayed', generation: m.current })
      m.holds[this.party] = m.current
    } else {
      // The first presentation outside the window revokes the family.
      expect(d.type).toBe('reuse_detected')
      m.dead = true
    }
    // The attacker holds a working token only while every honest presentation landed inside
    // the grace window of the attacker's latest rotation.
    if (this.party === 'attacker' && working(d)) expect(m.honestOutside).toBe(false)
    if (m.honestOutside) expect(r.family.status).toBe('revoked')
    expect(r.family.status).toBe(m.dead ? 'revoked' : 'active')
  }
  toString = () => `present(${this.party})`
}

// ---------------------------------------------------------------------------------------------
// Arbitrary family records (for the order-free properties 2 and 3), consistent with what
// createFamilyRecord and decide produce.

const policyArb = fc
  .record({
    reuseGrace: graceArb,
    idleExtra: fc.integer({ min: 1, max: 10 * DAY }),
    maxExtra: fc.integer({ min: 0, max: 30 * DAY }),
    graceBinding: fc.constantFrom<GraceBinding>('none', 'user_agent', 'device_id'),
  })
  .map(({ reuseGrace, idleExtra, maxExtra, graceBinding }) =>
    makePolicy({
      reuseGrace,
      refreshIdleTtl: reuseGrace + idleExtra,
      sessionMaxAge: reuseGrace + idleExtra + maxExtra,
      graceBinding,
    }),
  )

/** An active family at generation >= 1, last rotated `usedAfter` ms after login. */
const rotatedFamilyArb = (policy: LifetimePolicy) =>
  fc
    .record({
      generation: fc.integer({ min: 1, max: 1000 }),
      usedAfter: fc.integer({ min: 0, max: policy.sessionMaxAge - 1 }),
      authAfter: fc.nat(),
      binding: fc.constantFrom(...BINDINGS),
      version: fc.integer({ min: 1, max: 5000 }),
    })
    .map(({ generation, usedAfter, authAfter, binding, version }): FamilyRecord => {
      const fresh = login(policy)
      const lastUsedAt = T0 + usedAfter
      return {
        ...fresh,
        generation,
        authTime: T0 + Math.min(authAfter, usedAfter),
        lastUsedAt,
        rotatedAt: lastUsedAt,
        rotatedBinding: binding,
        idleExpiresAt: Math.min(lastUsedAt + policy.refreshIdleTtl, fresh.expiresAt),
        version: version + generation,
      }
    })

const anyEventArb = (family: FamilyRecord): fc.Arbitrary<FamilyEvent> => {
  const now = fc.integer({ min: T0 - DAY, max: family.expiresAt + DAY })
  return fc.oneof(
    fc.record({
      type: fc.constant('refresh' as const),
      generation: fc.oneof(
        fc.integer({ min: -2, max: family.generation + 2 }),
        fc.constantFrom(Number.NaN, 0.5, Number.MAX_SAFE_INTEGER + 2),
      ),
      now,
      binding: fc.constantFrom(...BINDINGS),
    }),
    fc.record({ type: fc.constant('revoke' as const), reason: fc.constantFrom(...REASONS), now }),
    fc.record({ type: fc.constant('reauthenticate' as const), now }),
  )
}

// ---------------------------------------------------------------------------------------------

describe('decide: the six properties of DESIGN.md', () => {
  it('1. at most one generation rotates; only the one before it replays, only inside the window', () => {
    const arb = fc
      .record({ reuseGrace: graceArb, graceBinding: fc.constantFrom<GraceBinding>('none', 'user_agent') })
      .chain((p) =>
        fc.tuple(
          fc.constant(makePolicy(p)),
          fc.commands(
            [
              waitArb(p.reuseGrace).map((ms) => new Wait1(ms)),
              fc
                .tuple(fc.integer({ min: -3, max: 1 }), fc.constantFrom(...BINDINGS))
                .map(([o, b]) => new Present1(o, b)),
            ],
            { maxCommands: 40 },
          ),
        ),
      )
    fc.assert(
      fc.property(arb, ([policy, cmds]) => {
        const setup = () => ({
          model: { now: T0, issued: 1, lastRotation: null, spent: new Set<number>(), dead: false },
          real: { family: login(policy), policy },
        })
        fc.modelRun(setup, cmds)
      }),
      RUNS,
    )
  })

  it('2. revocation is absorbing: after it, every event is rejected', () => {
    const arb = policyArb.chain((policy) =>
      rotatedFamilyArb(policy).chain((family) =>
        fc.tuple(
          fc.constant(policy),
          fc.constant(family),
          fc.constantFrom(...REASONS),
          fc.array(anyEventArb(family), { minLength: 1, maxLength: 20 }),
        ),
      ),
    )
    fc.assert(
      fc.property(arb, ([policy, family, reason, events]) => {
        const d = decide(family, { type: 'revoke', reason, now: family.lastUsedAt }, policy)
        expect(d.type).toBe('revoked')
        const dead = apply(family, d)
        expect(dead.status).toBe('revoked')
        for (const event of events) {
          expect(decide(dead, event, policy)).toEqual({ type: 'rejected', reason: 'revoked' })
        }
      }),
      RUNS,
    )
  })

  it('3. presenting any older generation outside the window revokes the family', () => {
    const arb = policyArb.chain((policy) =>
      rotatedFamilyArb(policy).chain((family) => {
        const alive = Math.min(family.idleExpiresAt, family.expiresAt) // first dead instant
        const rotatedAt = family.rotatedAt ?? family.lastUsedAt
        const scenarios: fc.Arbitrary<{ generation: number; now: number; binding: string | null }>[] = [
          // the previous generation, once the window has closed
          ...(rotatedAt + policy.reuseGrace < alive
            ? [
                fc.record({
                  generation: fc.constant(family.generation - 1),
                  now: fc.integer({ min: rotatedAt + policy.reuseGrace, max: alive - 1 }),
                  binding: fc.constantFrom(...BINDINGS),
                }),
              ]
            : []),
          // the previous generation inside the window, but from another binding
          ...(policy.graceBinding !== 'none' && policy.reuseGrace > 0
            ? [
                fc.record({
                  generation: fc.constant(family.generation - 1),
                  now: fc.integer({
                    min: family.lastUsedAt - 1000,
                    max: Math.min(rotatedAt + policy.reuseGrace, alive) - 1,
                  }),
                  // null never matches (a replay that strips its binding is reuse), even a null rotatedBinding
                  binding: fc.constantFrom(...BINDINGS).filter((b) => b === null || b !== family.rotatedBinding),
                }),
              ]
            : []),
          // any generation before the previous one, at any time while alive
          ...(family.generation >= 2
            ? [
                fc.record({
                  generation: fc.integer({ min: 0, max: family.generation - 2 }),
                  now: fc.integer({ min: family.lastUsedAt - 1000, max: alive - 1 }),
                  binding: fc.constantFrom(...BINDINGS),
                }),
              ]
            : []),
        ]
        return scenarios.length === 0
          ? fc.constant(null)
          : fc.tuple(fc.constant(policy), fc.constant(family), fc.oneof(...scenarios))
      }),
    )
    let checked = 0
    fc.assert(
      fc.property(arb, (c) => {
        if (c === null) return
        const [policy, family, p] = c
        const d = decide(family, { type: 'refresh', ...p }, policy)
        expect(d.type).toBe('reuse_detected')
        if (d.type !== 'reuse_detected') return
        expect(d.next).toEqual({
          ...family,
          status: 'revoked',
          revocation: { reason: 'reuse_detected', at: p.now },
          version: family.version + 1,
        })
        checked += 1
      }),
      RUNS,
    )
    expect(checked).toBeGreaterThan(900)
  })

  it('4. nothing succeeds after idle or absolute expiry', () => {
    const arb = fc
      .record({
        reuseGrace: fc.integer({ min: 0, max: 999 }),
        refreshIdleTtl: fc.integer({ min: 1000, max: 5000 }),
        maxExtra: fc.integer({ min: 0, max: 15_000 }),
      })
      .chain(({ reuseGrace, refreshIdleTtl, maxExtra }) =>
        fc.tuple(
          fc.constant(makePolicy({ reuseGrace, refreshIdleTtl, sessionMaxAge: refreshIdleTtl + maxExtra })),
          fc.commands(
            [
              fc.integer({ min: 0, max: 3000 }).map((ms) => new Wait4(ms)),
              fc.constantFrom<-1 | 0 | 1>(-1, 0, 1).map((d) => new JumpToDeadline(d)),
              fc.constantFrom('current', 'previous', 'reauthenticate' as const).map((a) => new Act4(a)),
            ],
            { maxCommands: 40 },
          ),
        ),
      )
    fc.assert(
      fc.property(arb, ([policy, cmds]) => {
        const setup = () => ({
          model: { now: T0, lastActiveAt: T0, generation: 0, dead: false },
          real: { family: login(policy), policy },
        })
        fc.modelRun(setup, cmds)
      }),
      RUNS,
    )
  })

  it('5. generations only grow; authTime moves only on reauthenticate', () => {
    const arb = policyArb.chain((policy) =>
      fc.tuple(
        fc.constant(policy),
        fc.commands(
          [
            fc.integer({ min: 0, max: policy.reuseGrace + 5000 }).map((ms) => new Wait5(ms)),
            fc
              .record({
                kind: fc.constantFrom('refresh', 'refresh', 'refresh', 'revoke', 'reauthenticate' as const),
                offset: fc.integer({ min: -2, max: 1 }),
                skew: fc.integer({ min: -3000, max: 3000 }),
                binding: fc.constantFrom(...BINDINGS),
                reason: fc.constantFrom(...REASONS),
              })
              .map((a) => new Act5(a.kind, a.offset, a.skew, a.binding, a.reason)),
          ],
          { maxCommands: 40 },
        ),
      ),
    )
    fc.assert(
      fc.property(arb, ([policy, cmds]) => {
        const setup = () => ({
          model: { now: T0, rotations: 0, authTime: T0 },
          real: { family: login(policy), policy },
        })
        fc.modelRun(setup, cmds)
      }),
      RUNS,
    )
  })

  describe('6. detection: an attacker sharing a stolen token', () => {
    const run = (graceBinding: GraceBinding) => {
      const arb = graceArb.chain((reuseGrace) =>
        fc.tuple(
          fc.constant(makePolicy({ reuseGrace, graceBinding })),
          fc.commands(
            [
              waitArb(reuseGrace).map((ms) => new Wait6(ms)),
              fc.constantFrom<Party>('honest', 'attacker').map((p) => new Present6(p)),
            ],
            { maxCommands: 40 },
          ),
        ),
      )
      fc.assert(
        fc.property(arb, ([policy, cmds]) => {
          const setup = () => ({
            model: {
              now: T0,
              current: 0,
              holds: { honest: 0, attacker: 0 },
              lastRotation: null,
              attackerRotatedAt: null,
              honestOutside: false,
              dead: false,
              bound: graceBinding !== 'none',
            },
            real: { family: login(policy), policy },
          })
          fc.modelRun(setup, cmds)
        }),
        RUNS,
      )
    }
    it('stays in step only inside the window (graceBinding none, or a copied binding)', () => run('none'))
    it('is caught by any cross-client replay when replays are bound (graceBinding user_agent)', () => run('user_agent'))
  })
})
