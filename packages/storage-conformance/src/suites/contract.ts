import { type FamilyRecord, isAuthError } from '@auth/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { byId, listAll, optedOut, runs, withHarness } from '../harness.js'
import { makeRecord, newFamilyId, newSubject, recordArb, revoke, rotate } from '../records.js'
import type { ConformanceOptions } from '../types.js'

/**
 * The contract: `create`, `get`, `compareAndSet` and `listBySubject` do what `FamilyStore`
 * promises, and `inspect.raw` confirms that what was persisted is exactly what was written.
 */
export function contractSuite(options: ConformanceOptions): void {
  if (optedOut(options, 'contract')) return
  const test = (name: string, fn: Parameters<typeof withHarness>[1]) => it(name, () => withHarness(options, fn))

  describe(`${options.name}: contract`, () => {
    describe('create and get', () => {
      test('a created record comes back from get and from storage field for field', async ({
        store,
        inspect,
        clock,
      }) => {
        const record = makeRecord(clock.now(), {
          subject: 'ünïcödé 東京 👩‍💻',
          meta: { userAgent: 'Mozilla/5.0 "quoted" \\ back', ip: '::1', device: null, trusted: true, n: -1.5 },
        })
        expect((await store.create(record)).ok).toBe(true)
        expect(await store.get(record.id)).toEqual(record)
        expect(await inspect.raw(record.id)).toEqual(record)
      })

      test('any valid record round-trips exactly (property)', async ({ store, inspect, clock }) => {
        await fc.assert(
          fc.asyncProperty(recordArb(clock.now()), async (arbitrary) => {
            const record: FamilyRecord = { ...arbitrary, id: newFamilyId() }
            expect((await store.create(record)).ok).toBe(true)
            expect(await store.get(record.id)).toEqual(record)
            expect(await inspect.raw(record.id)).toEqual(record)
          }),
          { numRuns: runs(options, 200, 50) },
        )
      })

      test('empty meta, null optional fields and generation 2^53-1 survive', async ({ store, inspect, clock }) => {
        const record = makeRecord(clock.now(), {
          meta: {},
          rotatedAt: null,
          rotatedBinding: null,
          generation: Number.MAX_SAFE_INTEGER,
        })
        await store.create(record)
        expect(await store.get(record.id)).toEqual(record)
        expect(await inspect.raw(record.id)).toEqual(record)
      })

      test('get of an id that was never stored is null', async ({ store, inspect }) => {
        const id = newFamilyId()
        expect(await store.get(id)).toBeNull()
        expect(await inspect.raw(id)).toBeNull()
      })

      test('create refuses an existing id and leaves the first record untouched', async ({ store, inspect, clock }) => {
        const first = makeRecord(clock.now())
        const second = makeRecord(clock.now(), { id: first.id, meta: { second: true } })
        expect((await store.create(first)).ok).toBe(true)
        expect(await store.create(second)).toEqual({ ok: false, reason: 'exists' })
        expect(await store.get(first.id)).toEqual(first)
        expect(await inspect.raw(first.id)).toEqual(first)
        expect(byId(await listAll(store, second.subject))).toEqual([])
      })

      test('ids are case-sensitive: ids differing only in letter case are different families', async ({
        store,
        clock,
      }) => {
        const lower = makeRecord(clock.now(), { id: 'aaaaaaaaaaaaaaaaaaaaaa' })
        const upper = makeRecord(clock.now(), { id: 'AAAAAAAAAAAAAAAAAAAAAA' })
        expect((await store.create(lower)).ok).toBe(true)
        expect((await store.create(upper)).ok).toBe(true)
        expect(await store.get(lower.id)).toEqual(lower)
        expect(await store.get(upper.id)).toEqual(upper)
      })
    })

    describe('now (optional)', () => {
      test('the store’s clock, if it has one, is epoch milliseconds near this machine’s', async ({ store, clock }) => {
        if (store.now === undefined) return
        const before = Date.now()
        const now = await store.now()
        expect(Number.isSafeInteger(now)).toBe(true)
        // The real clock (Redis TIME, a database's now()) or the suite's clock (a clock-driven store).
        const near = (t: number) => Math.abs(now - t) < 10 * 60_000
        expect(near(before) || near(clock.now()), `now() answered ${now}`).toBe(true)
      })
    })

    describe('compareAndSet', () => {
      test('with the stored version it writes next, exactly', async ({ store, inspect, clock }) => {
        const record = makeRecord(clock.now())
        await store.create(record)
        clock.advance(1000)
        const next = rotate(record, clock.now(), { userAgent: 'new 🔁', ip: '10.0.0.1' })
        expect(await store.compareAndSet(record.id, 1, next)).toEqual({ ok: true })
        expect(await store.get(record.id)).toEqual(next)
        expect(await inspect.raw(record.id)).toEqual(next)
      })

      test('with a stale or a future version it is a conflict and writes nothing', async ({
        store,
        inspect,
        clock,
      }) => {
        const record = makeRecord(clock.now())
        await store.create(record)
        const next = rotate(record, clock.now())
        for (const version of [0, 2, 3, Number.MAX_SAFE_INTEGER - 1]) {
          expect(await store.compareAndSet(record.id, version, { ...next, version: version + 1 })).toEqual({
            ok: false,
            reason: 'conflict',
          })
        }
        expect(await inspect.raw(record.id)).toEqual(record)
        expect(await store.compareAndSet(record.id, 1, next)).toEqual({ ok: true })
        // Version 1 has been used: presenting it again is stale.
        expect(await store.compareAndSet(record.id, 1, rotate(next, clock.now()))).toEqual({
          ok: false,
          reason: 'conflict',
        })
        expect(await inspect.raw(record.id)).toEqual(next)
      })

      test('of an id that is not stored is not_found and creates nothing', async ({ store, inspect, clock }) => {
        const record = makeRecord(clock.now())
        expect(await store.compareAndSet(record.id, 1, rotate(record, clock.now()))).toEqual({
          ok: false,
          reason: 'not_found',
        })
        expect(await store.get(record.id)).toBeNull()
        expect(await inspect.raw(record.id)).toBeNull()
        expect(await listAll(store, record.subject)).toEqual([])
      })

      test('a long chain of writes: each version is accepted once, generation reaches 2^53-1', async ({
        store,
        inspect,
        clock,
      }) => {
        let current = makeRecord(clock.now(), { generation: Number.MAX_SAFE_INTEGER - 40 })
        await store.create(current)
        for (let i = 0; i < 40; i++) {
          clock.advance(10)
          const next = rotate(current, clock.now(), { step: i })
          expect(await store.compareAndSet(current.id, current.version, next)).toEqual({ ok: true })
          expect(await store.compareAndSet(current.id, current.version, next)).toEqual({
            ok: false,
            reason: 'conflict',
          })
          current = next
        }
        expect(current.generation).toBe(Number.MAX_SAFE_INTEGER)
        expect(await store.get(current.id)).toEqual(current)
        expect(await inspect.raw(current.id)).toEqual(current)
        const revoked = revoke(current, clock.now())
        expect(await store.compareAndSet(current.id, current.version, revoked)).toEqual({ ok: true })
        expect(await inspect.raw(current.id)).toEqual(revoked)
      })

      test('never changes the stored id or subject', async ({ store, inspect, clock }) => {
        const record = makeRecord(clock.now())
        const otherSubject = newSubject('other')
        await store.create(record)
        // A driver may refuse such a write (throw) or ignore the new subject; it must never move the family.
        const moved = { ...rotate(record, clock.now()), subject: otherSubject }
        await store.compareAndSet(record.id, 1, moved).catch((error: unknown) => {
          if (!isAuthError(error)) throw error
        })
        const stored = await inspect.raw(record.id)
        expect(stored).not.toBeNull()
        expect(stored).not.toBe('corrupt')
        expect((stored as FamilyRecord).subject).toBe(record.subject)
        expect((stored as FamilyRecord).id).toBe(record.id)
        expect(await listAll(store, otherSubject)).toEqual([])
        expect((await listAll(store, record.subject)).map((r) => r.id)).toEqual([record.id])

        // next carrying another id writes nothing under that id.
        const current = (await store.get(record.id)) as FamilyRecord
        const renamed = { ...rotate(current, clock.now()), id: newFamilyId() }
        await store.compareAndSet(record.id, current.version, renamed).catch((error: unknown) => {
          if (!isAuthError(error)) throw error
        })
        expect(await store.get(renamed.id)).toBeNull()
        expect(await inspect.raw(renamed.id)).toBeNull()
        expect(((await store.get(record.id)) as FamilyRecord).id).toBe(record.id)
      })
    })

    describe('listBySubject', () => {
      test('lists exactly that subject’s active records, as last written; a revoked one has left the index', async ({
        store,
        clock,
      }) => {
        const now = clock.now()
        const alice = newSubject('alice')
        const bob = newSubject('bob')
        const a1 = makeRecord(now, { subject: alice })
        const a2 = makeRecord(now, { subject: alice })
        const a3 = makeRecord(now, { subject: alice })
        const b1 = makeRecord(now, { subject: bob })
        for (const r of [a1, a2, a3, b1]) expect((await store.create(r)).ok).toBe(true)
        const a2next = rotate(a2, now + 5)
        const a3revoked = revoke(a3, now + 5)
        await store.compareAndSet(a2.id, 1, a2next)
        await store.compareAndSet(a3.id, 1, a3revoked)
        // By the time compareAndSet has answered, the revoked family is out of the index (it is
        // still readable by id: reuse detection and the revocation reason need it).
        expect(byId(await listAll(store, alice))).toEqual(byId([a1, a2next]))
        expect(await store.get(a3.id)).toEqual(a3revoked)
        expect(await listAll(store, bob)).toEqual([b1])
        expect(await listAll(store, newSubject('nobody'))).toEqual([])
      })

      test('create counts the families in the subject’s index, this one included; revoked ones no longer count', async ({
        store,
        clock,
      }) => {
        const subject = newSubject('count')
        const records = Array.from({ length: 4 }, () => makeRecord(clock.now(), { subject }))
        for (const [i, r] of records.entries()) expect(await store.create(r)).toEqual({ ok: true, families: i + 1 })
        await store.compareAndSet(records[0]!.id, 1, revoke(records[0]!, clock.now()))
        await store.compareAndSet(records[1]!.id, 1, revoke(records[1]!, clock.now()))
        expect(await store.create(makeRecord(clock.now(), { subject }))).toEqual({ ok: true, families: 3 })
        expect(await store.create(makeRecord(clock.now(), { subject: newSubject('other') }))).toEqual({
          ok: true,
          families: 1,
        })
      })

      test('pages: 250 families in pages of 100 come back each exactly once, in bounded pages, and the last cursor is null', async ({
        store,
        clock,
      }) => {
        const subject = newSubject('pages')
        const records = Array.from({ length: 250 }, () => makeRecord(clock.now(), { subject }))
        await Promise.all(records.map((r) => store.create(r)))
        const seen = new Map<string, number>()
        let cursor: string | null = null
        let pages = 0
        do {
          const page: Awaited<ReturnType<typeof store.listBySubject>> = await store.listBySubject(subject, {
            limit: 100,
            cursor,
          })
          pages++
          expect(page.records.length).toBeLessThanOrEqual(200)
          for (const r of page.records) seen.set(r.id, (seen.get(r.id) ?? 0) + 1)
          cursor = page.cursor
          expect(pages).toBeLessThan(1000)
        } while (cursor !== null)
        expect(pages).toBeGreaterThanOrEqual(2)
        expect([...seen.keys()].sort()).toEqual(records.map((r) => r.id).sort())
        // A driver may repeat a family across pages (Redis's ZSCAN can), never more than a little.
        expect(Math.max(...seen.values())).toBeLessThanOrEqual(2)
        expect(byId(await listAll(store, subject, 7))).toEqual(byId(records))
      })

      test('pages stay whole while the families are being revoked: every family not revoked is still listed', async ({
        store,
        clock,
      }) => {
        const subject = newSubject('walk')
        const records = Array.from({ length: 300 }, () => makeRecord(clock.now(), { subject }))
        await Promise.all(records.map((r) => store.create(r)))
        // Revoke every third family while the walk runs: those already seen and those still ahead.
        const doomed = records.filter((_, i) => i % 3 === 0)
        const kept = new Set(records.filter((_, i) => i % 3 !== 0).map((r) => r.id))
        const seen = new Set<string>()
        let cursor: string | null = null
        let first = true
        do {
          const page: Awaited<ReturnType<typeof store.listBySubject>> = await store.listBySubject(subject, {
            limit: 50,
            cursor,
          })
          for (const r of page.records) seen.add(r.id)
          if (first) {
            first = false
            await Promise.all(doomed.map((r) => store.compareAndSet(r.id, 1, revoke(r, clock.now()))))
          }
          cursor = page.cursor
        } while (cursor !== null)
        for (const id of kept) expect(seen.has(id), `family ${id} was skipped`).toBe(true)
        expect(byId(await listAll(store, subject))).toEqual(byId(records.filter((r) => kept.has(r.id))))
      })

      test('subjects are compared exactly: case, trailing spaces and unicode forms are distinct', async ({
        store,
        clock,
      }) => {
        const tag = newSubject('s')
        const subjects = [`${tag}-alice`, `${tag}-Alice`, `${tag}-alice `, `${tag}-é`, `${tag}-e\u0301`, `${tag}-東京`]
        const records = subjects.map((subject) => makeRecord(clock.now(), { subject }))
        for (const r of records) expect((await store.create(r)).ok).toBe(true)
        for (const r of records) expect(await listAll(store, r.subject)).toEqual([r])
      })

      test('many subjects, each with many records rotated many times', async ({ store, clock }) => {
        const subjects = Array.from({ length: runs(options, 40, 15) }, () => newSubject())
        const expected = new Map<string, FamilyRecord[]>()
        for (const [i, subject] of subjects.entries()) {
          const records = Array.from({ length: i % 4 }, () => makeRecord(clock.now(), { subject }))
          await Promise.all(records.map((r) => store.create(r)))
          const latest: FamilyRecord[] = []
          for (const r of records) {
            let current = r
            for (let step = 0; step < 6; step++) {
              const next = rotate(current, clock.now() + step, { step })
              expect(await store.compareAndSet(current.id, current.version, next)).toEqual({ ok: true })
              current = next
            }
            latest.push(current)
          }
          expected.set(subject, latest)
        }
        for (const subject of subjects) {
          expect(byId(await listAll(store, subject))).toEqual(byId(expected.get(subject) ?? []))
        }
      })
    })
  })
}
