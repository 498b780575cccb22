import type { Engine, FamilyRecord, RefreshResult } from '@auth/core'
import type { ManualClock } from '@auth/core/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { suiteEngine } from '../engine-harness.js'
import { optedOut, runs, withHarness } from '../harness.js'
import { newSubject } from '../records.js'
import type { ConformanceOptions, StoreInspector } from '../types.js'
import { outcome } from './engine.js'

// The suite policy (see engine-harness.ts), in milliseconds.
const IDLE = 3_600_000
const MAX_AGE = 3 * 3_600_000
const GRACE = 10_000

/** What the model believes about one family. */
interface ModelFamily {
  readonly id: string
  readonly subject: string
  /** `tokens[g]` is the refresh token of generation `g`. */
  readonly tokens: string[]
  generation: number
  status: 'active' | 'revoked'
  rotatedAt: number | null
  idleExpiresAt: number
  readonly expiresAt: number
}

interface Model {
  now: number
  readonly subjects: readonly string[]
  readonly families: ModelFamily[]
}

interface Real {
  readonly engine: Engine
  readonly clock: ManualClock
  readonly inspect: StoreInspector
}

type Cmd = fc.AsyncCommand<Model, Real>

/** Past idle or absolute expiry: nothing can refresh it. */
const dead = (f: ModelFamily, now: number) => now >= f.idleExpiresAt || now >= f.expiresAt
/** The store may have dropped it (at or after `idleExpiresAt`). */
const droppable = (f: ModelFamily, now: number) => now >= f.idleExpiresAt
const live = (f: ModelFamily, now: number) => f.status === 'active' && !dead(f, now)

/** What was persisted agrees with the model (or is gone, where the store may drop it). */
async function checkPersisted(m: Model, r: Real, f: ModelFamily): Promise<void> {
  const raw = await r.inspect.raw(f.id)
  if (raw === null && droppable(f, m.now)) return
  expect(raw, `family ${f.id} as persisted`).not.toBeNull()
  expect(raw).not.toBe('corrupt')
  const record = raw as FamilyRecord
  expect({ generation: record.generation, status: record.status }).toEqual({
    generation: f.generation,
    status: f.status,
  })
}

class Issue implements Cmd {
  constructor(readonly subjectIndex: number) {}
  check = () => true
  async run(m: Model, r: Real) {
    const subject = m.subjects[this.subjectIndex % m.subjects.length] as string
    const pair = await r.engine.issue(subject)
    expect(pair.generation).toBe(0)
    const f: ModelFamily = {
      id: pair.familyId,
      subject,
      tokens: [pair.refreshToken],
      generation: 0,
      status: 'active',
      rotatedAt: null,
      idleExpiresAt: Math.min(m.now + IDLE, m.now + MAX_AGE),
      expiresAt: m.now + MAX_AGE,
    }
    m.families.push(f)
    await checkPersisted(m, r, f)
  }
  toString = () => `issue(subject ${this.subjectIndex})`
}

type Which = 'current' | 'previous' | 'old'

class Refresh implements Cmd {
  constructor(
    readonly familyIndex: number,
    readonly which: Which,
    readonly pick: number,
  ) {}
  private family(m: Model) {
    return m.families[this.familyIndex % m.families.length] as ModelFamily
  }
  private generation(f: ModelFamily): number {
    switch (this.which) {
      case 'current':
        return f.generation
      case 'previous':
        return f.generation - 1
      case 'old':
        return this.pick % Math.max(1, f.generation - 1)
      default: {
        const never: never = this.which
        return never
      }
    }
  }
  check(m: Model) {
    if (m.families.length === 0) return false
    const f = this.family(m)
    if (this.which === 'previous') return f.generation >= 1
    if (this.which === 'old') return f.generation >= 2
    return true
  }
  async run(m: Model, r: Real) {
    const f = this.family(m)
    const g = this.generation(f)
    const result: RefreshResult = await r.engine.refresh(f.tokens[g] as string)
    const got = outcome(result)
    const now = m.now
    if (f.status === 'revoked') {
      expect(got).toBeOneOf(
        droppable(f, now) ? ['ERR_REFRESH_TOKEN_REVOKED', 'ERR_REFRESH_TOKEN_INVALID'] : ['ERR_REFRESH_TOKEN_REVOKED'],
      )
    } else if (dead(f, now)) {
      expect(got).toBeOneOf(
        droppable(f, now) ? ['ERR_REFRESH_TOKEN_EXPIRED', 'ERR_REFRESH_TOKEN_INVALID'] : ['ERR_REFRESH_TOKEN_EXPIRED'],
      )
      f.status = 'revoked'
    } else if (g === f.generation) {
      expect(got).toBe('rotated')
      if (!result.ok) return
      expect(result.pair.generation).toBe(g + 1)
      expect(result.pair.familyId).toBe(f.id)
      f.tokens.push(result.pair.refreshToken)
      f.generation++
      f.rotatedAt = now
      f.idleExpiresAt = Math.min(now + IDLE, f.expiresAt)
    } else if (g === f.generation - 1 && f.rotatedAt !== null && now < f.rotatedAt + GRACE) {
      expect(got).toBe('replayed')
      if (!result.ok) return
      expect(result.pair.refreshToken).toBe(f.tokens[f.generation])
    } else {
      expect(got).toBe('ERR_REFRESH_TOKEN_REUSED')
      f.status = 'revoked'
    }
    if (!result.ok && got !== 'ERR_REFRESH_TOKEN_INVALID') expect(result.familyId).toBe(f.id)
    await checkPersisted(m, r, f)
  }
  toString = () => `refresh(family ${this.familyIndex}, ${this.which}${this.which === 'old' ? ` ${this.pick}` : ''})`
}

class Revoke implements Cmd {
  constructor(readonly familyIndex: number) {}
  check = (m: Model) => m.families.length > 0
  async run(m: Model, r: Real) {
    const f = m.families[this.familyIndex % m.families.length] as ModelFamily
    const result = await r.engine.revoke(f.id, 'logout')
    const got = result.ok ? 'ok' : result.code
    const gone = droppable(f, m.now) ? ['ERR_FAMILY_NOT_FOUND'] : []
    // An active family is revoked even past its expiry (the caller's reason wins); a revoked one stays as it was.
    expect(got).toBeOneOf(f.status === 'active' ? ['ok', ...gone] : ['ERR_FAMILY_REVOKED', ...gone])
    f.status = 'revoked'
    await checkPersisted(m, r, f)
  }
  toString = () => `revoke(family ${this.familyIndex})`
}

class RevokeAll implements Cmd {
  constructor(readonly subjectIndex: number) {}
  check = () => true
  async run(m: Model, r: Real) {
    const subject = m.subjects[this.subjectIndex % m.subjects.length] as string
    const victims = m.families.filter((f) => f.subject === subject && live(f, m.now))
    expect(await r.engine.revokeAll(subject)).toEqual({ revoked: victims.length })
    for (const f of victims) f.status = 'revoked'
    for (const f of victims) await checkPersisted(m, r, f)
    expect(await r.engine.list(subject)).toEqual([])
  }
  toString = () => `revokeAll(subject ${this.subjectIndex})`
}

class List implements Cmd {
  constructor(readonly subjectIndex: number) {}
  check = () => true
  async run(m: Model, r: Real) {
    const subject = m.subjects[this.subjectIndex % m.subjects.length] as string
    const expected = m.families
      .filter((f) => f.subject === subject && live(f, m.now))
      .map((f) => ({ id: f.id, generation: f.generation }))
      .sort((a, b) => a.id.localeCompare(b.id))
    const listed = (await r.engine.list(subject))
      .map((f) => ({ id: f.id, generation: f.generation }))
      .sort((a, b) => a.id.localeCompare(b.id))
    expect(listed).toEqual(expected)
  }
  toString = () => `list(subject ${this.subjectIndex})`
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true
  async run(m: Model, r: Real) {
    r.clock.advance(this.ms)
    m.now += this.ms
  }
  toString = () => `advance(${this.ms} ms)`
}

const issue = fc.nat(2).map((s) => new Issue(s))
const refreshCurrent = fc.tuple(fc.nat(), fc.nat()).map(([i, p]) => new Refresh(i, 'current', p))
const refreshAny = fc
  .tuple(fc.nat(), fc.constantFrom<Which>('current', 'previous', 'old'), fc.nat())
  .map(([i, w, p]) => new Refresh(i, w, p))
// Around the grace window (10 s), the idle TTL (1 h) and the absolute maximum (3 h).
const advance = fc.constantFrom(1_000, 5_000, 9_999, 10_000, 60_000, 1_800_000, 3_600_000).map((ms) => new Advance(ms))

/** fast-check picks uniformly among these; repeats weight refreshes and clock moves up. */
const commandArbs = [
  issue,
  refreshCurrent,
  refreshAny,
  refreshAny,
  advance,
  advance,
  fc.nat().map((i) => new Revoke(i)),
  fc.nat(2).map((s) => new RevokeAll(s)),
  fc.nat(2).map((s) => new List(s)),
]

/**
 * The model: fast-check draws sequences of engine operations (issue, refresh the current
 * generation, replay the previous or an older one, revoke, logout-all, list, clock advances)
 * and runs them against the engine on this driver, checking every answer and every persisted
 * record against a simple model of the rules.
 */
export function modelSuite(options: ConformanceOptions): void {
  if (optedOut(options, 'model')) return
  describe(`${options.name}: model`, () => {
    it('engine operations in any order agree with the model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(commandArbs, { maxCommands: 40, size: 'max' }), (cmds) =>
          withHarness(options, async ({ store, inspect, clock }) => {
            const { engine } = suiteEngine(store, clock)
            const model: Model = {
              now: clock.now(),
              subjects: [newSubject(), newSubject(), newSubject()],
              families: [],
            }
            await fc.asyncModelRun(() => ({ model, real: { engine, clock, inspect } }), cmds)
          }),
        ),
        { numRuns: runs(options, 300, 60) },
      )
    }, 120_000)
  })
}
