import { type FamilyStore, isAuthError, type RefreshResult, type TokenPair } from '@auth/core'
import { describe, expect, it } from 'vitest'
import { SUITE_POLICY, suiteEngine } from '../engine-harness.js'
import { listAll, optedOut, withHarness } from '../harness.js'
import { makeRecord, newSubject } from '../records.js'
import type { ConformanceOptions } from '../types.js'
import { RACERS } from './races.js'

/**
 * The engine on this driver: many concurrent refreshes of one generation give exactly one
 * rotation and no lost update; inside the grace window the rest are replays of the same
 * successor, outside it the family is revoked once and nobody gets a token.
 */
export function engineSuite(options: ConformanceOptions): void {
  if (optedOut(options, 'engine')) return
  const test = (name: string, fn: Parameters<typeof withHarness>[1]) => it(name, () => withHarness(options, fn))

  describe(`${options.name}: engine`, () => {
    test(`${RACERS} concurrent refreshes of one generation: one rotation, the rest replay its successor`, async ({
      store,
      inspect,
      clock,
    }) => {
      const { engine, events } = suiteEngine(store, clock)
      const login = await engine.issue(newSubject(), { meta: { userAgent: 'racer' } })
      const results = await Promise.all(Array.from({ length: RACERS }, () => engine.refresh(login.refreshToken)))
      const outcomes = results.map(outcome)
      expect(outcomes.filter((o) => o === 'rotated')).toHaveLength(1)
      expect(outcomes.filter((o) => o === 'replayed')).toHaveLength(RACERS - 1)
      const successors = new Set(results.map((r) => (r.ok ? r.pair.refreshToken : null)))
      expect(successors.size).toBe(1)
      // No lost update: exactly one write, as persisted.
      expect(await inspect.raw(login.familyId)).toMatchObject({ generation: 1, version: 2, status: 'active' })
      expect(events.filter((e) => e.type === 'rotated')).toHaveLength(1)
      // The one successor carries on.
      const [successor] = [...successors]
      expect(outcome(await engine.refresh(successor as string))).toBe('rotated')
    })

    test(`${RACERS} concurrent replays of an old generation outside the grace window: revoked once, no token`, async ({
      store,
      inspect,
      clock,
    }) => {
      const { engine, events } = suiteEngine(store, clock)
      const login = await engine.issue(newSubject())
      const first = await engine.refresh(login.refreshToken)
      expect(outcome(first)).toBe('rotated')
      clock.advance(11_000) // past reuseGrace (10 s), well inside the idle TTL
      const results = await Promise.all(Array.from({ length: RACERS }, () => engine.refresh(login.refreshToken)))
      expect(results.every((r) => !r.ok)).toBe(true)
      const codes = new Set(results.map(outcome))
      // The first to land detects reuse; the rest find the family already revoked (or detect it too
      // while their read was stale, and then lose the compare-and-set to the first).
      expect([...codes].every((c) => c === 'ERR_REFRESH_TOKEN_REUSED' || c === 'ERR_REFRESH_TOKEN_REVOKED')).toBe(true)
      expect(events.filter((e) => e.type === 'reuse_detected')).toHaveLength(1)
      expect(await inspect.raw(login.familyId)).toMatchObject({
        status: 'revoked',
        revocation: { reason: 'reuse_detected' },
        version: 3,
      })
      // The honest client's current token is dead too.
      if (!first.ok) throw new Error('unreachable')
      expect(outcome(await engine.refresh(first.pair.refreshToken))).toBe('ERR_REFRESH_TOKEN_REVOKED')
    })

    test('logout-all revokes every live family of the subject and only those', async ({ store, inspect, clock }) => {
      const { engine } = suiteEngine(store, clock)
      const subject = newSubject()
      const logins = await Promise.all(Array.from({ length: 12 }, () => engine.issue(subject)))
      const bystander = await engine.issue(newSubject())
      await engine.revoke(logins[0]?.familyId as string, 'logout')
      expect((await engine.list(subject)).map((f) => f.id).sort()).toEqual(
        logins
          .slice(1)
          .map((l) => l.familyId)
          .sort(),
      )
      expect(await engine.revokeAll(subject)).toEqual({ revoked: 11 })
      expect(await engine.list(subject)).toEqual([])
      for (const login of logins) expect(await inspect.raw(login.familyId)).toMatchObject({ status: 'revoked' })
      expect(await inspect.raw(bystander.familyId)).toMatchObject({ status: 'active' })
      expect(outcome(await engine.refresh(logins[5]?.refreshToken as string))).toBe('ERR_REFRESH_TOKEN_REVOKED')
    })

    test('a cap of 10: 1,000 logins leave the 10 latest live and in the index, the rest evicted; logout-all touches 10', async ({
      store,
      inspect,
      clock,
    }) => {
      const watched = watch(store)
      const { engine, events } = suiteEngine(watched.store, clock, { ...SUITE_POLICY, maxFamiliesPerSubject: 10 })
      const subject = newSubject('cap')
      const logins: TokenPair[] = []
      for (let i = 0; i < 1000; i++) {
        clock.advance(1)
        logins.push(await engine.issue(subject))
      }
      const latest = logins.slice(-10).map((l) => l.familyId)
      expect((await listAll(store, subject)).map((f) => f.id).sort()).toEqual([...latest].sort())
      if (inspect.indexed !== undefined) expect(await inspect.indexed(subject)).toBe(10)
      expect(await inspect.raw(logins[0]?.familyId as string)).toMatchObject({
        status: 'revoked',
        revocation: { reason: 'evicted' },
      })
      const evictions = events.filter((e) => e.type === 'revoked' && e.reason === 'evicted')
      expect(evictions).toHaveLength(990)
      // An evicted family's refresh token says why it ended.
      const refused = await engine.refresh(logins[0]?.refreshToken as string)
      expect(refused).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REVOKED', revocationReason: 'evicted' })

      watched.reset()
      expect(await engine.revokeAll(subject)).toEqual({ revoked: 10 })
      expect(watched.writes).toBe(10)
      if (inspect.indexed !== undefined) expect(await inspect.indexed(subject)).toBe(0)
    })

    test('no cap: 10,000 families of one subject, logout-all walks them in pages of 100, each page inside its deadline', async ({
      store,
      inspect,
      clock,
    }) => {
      const subject = newSubject('many')
      const records = Array.from({ length: 10_000 }, () => makeRecord(clock.now(), { subject }))
      // Written through create (no signing), 100 at a time.
      for (let i = 0; i < records.length; i += 100) {
        const created = await Promise.all(records.slice(i, i + 100).map((r) => store.create(r)))
        expect(created.every((c) => c.ok)).toBe(true)
      }
      if (inspect.indexed !== undefined) expect(await inspect.indexed(subject)).toBe(10_000)
      const watched = watch(store)
      const { engine } = suiteEngine(watched.store, clock, { ...SUITE_POLICY, maxFamiliesPerSubject: Infinity })
      expect(await engine.revokeAll(subject)).toEqual({ revoked: 10_000 })
      expect(watched.pages.length).toBeGreaterThanOrEqual(100)
      for (const page of watched.pages) {
        expect(page.records).toBeLessThanOrEqual(200)
        // Every driver's deadline is at least this long; a page that reads the whole subject is not.
        expect(page.ms).toBeLessThan(2000)
      }
      expect(await listAll(store, subject)).toEqual([])
      if (inspect.indexed !== undefined) expect(await inspect.indexed(subject)).toBe(0)
    })
  })
}

/** The store with its listing pages (size, time) and its writes counted. */
function watch(inner: FamilyStore): {
  store: FamilyStore
  pages: { records: number; ms: number }[]
  writes: number
  reset(): void
} {
  const pages: { records: number; ms: number }[] = []
  const watched = {
    pages,
    writes: 0,
    reset() {
      pages.length = 0
      watched.writes = 0
    },
    store: {
      create: (record) => inner.create(record),
      get: (id) => inner.get(id),
      compareAndSet(id, expectedVersion, next) {
        watched.writes++
        return inner.compareAndSet(id, expectedVersion, next)
      },
      async listBySubject(subject, page) {
        const started = performance.now()
        const answer = await inner.listBySubject(subject, page)
        pages.push({ records: answer.records.length, ms: performance.now() - started })
        return answer
      },
    } satisfies FamilyStore,
  }
  return watched
}

/** A refresh outcome as one string: the success type or the failure code. */
export function outcome(result: RefreshResult): string {
  return result.ok ? result.type : result.code
}

/** Runs `fn` and returns the code of the AuthError it threw, or what it returned. */
export async function thrownCode(fn: () => Promise<unknown>): Promise<{ threw: string } | { returned: unknown }> {
  try {
    return { returned: await fn() }
  } catch (error) {
    return { threw: isAuthError(error) ? error.code : `non-AuthError: ${String(error)}` }
  }
}
