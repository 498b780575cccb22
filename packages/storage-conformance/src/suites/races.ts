import type { FamilyRecord } from '@auth/core'
import { describe, expect, it } from 'vitest'
import { listAll, optedOut, runs, withHarness } from '../harness.js'
import { makeRecord, newSubject, rotate } from '../records.js'
import type { ConformanceOptions } from '../types.js'

/** How many writers race in one round. */
export const RACERS = 200

/**
 * Races: many concurrent writers of one version, exactly one wins and what is stored is the
 * winner's record. One lost update here would silently break reuse detection.
 */
export function racesSuite(options: ConformanceOptions): void {
  if (optedOut(options, 'races')) return
  const test = (name: string, fn: Parameters<typeof withHarness>[1]) => it(name, () => withHarness(options, fn))

  describe(`${options.name}: races`, () => {
    test(`${RACERS} concurrent compareAndSets on one version: exactly one ok, the rest conflict`, async ({
      store,
      inspect,
      clock,
    }) => {
      const record = makeRecord(clock.now())
      await store.create(record)
      const nexts = Array.from({ length: RACERS }, (_, writer) => rotate(record, clock.now() + writer, { writer }))
      const results = await Promise.all(nexts.map((next) => store.compareAndSet(record.id, 1, next)))
      const winners = results.flatMap((r, i) => (r.ok ? [i] : []))
      expect(winners).toHaveLength(1)
      expect(results.filter((r) => !r.ok && r.reason === 'conflict')).toHaveLength(RACERS - 1)
      const winner = nexts[winners[0] as number] as FamilyRecord
      expect(await store.get(record.id)).toEqual(winner)
      expect(await inspect.raw(record.id)).toEqual(winner)
    })

    test(`${RACERS} concurrent creates of one id: exactly one ok, the rest exists`, async ({
      store,
      inspect,
      clock,
    }) => {
      const template = makeRecord(clock.now())
      const records = Array.from({ length: RACERS }, (_, writer) => ({ ...template, meta: { writer } }))
      const results = await Promise.all(records.map((r) => store.create(r)))
      const winners = results.flatMap((r, i) => (r.ok ? [i] : []))
      expect(winners).toHaveLength(1)
      expect(results.filter((r) => !r.ok && r.reason === 'exists')).toHaveLength(RACERS - 1)
      const winner = records[winners[0] as number] as FamilyRecord
      expect(await inspect.raw(template.id)).toEqual(winner)
      expect(await listAll(store, template.subject)).toEqual([winner])
    })

    test('no lost update: concurrent read-modify-write loops count every success', async ({
      store,
      inspect,
      clock,
    }) => {
      const workers = 8
      const perWorker = runs(options, 25, 10)
      const record = makeRecord(clock.now(), { meta: { count: 0 } })
      await store.create(record)
      const work = async (worker: number) => {
        for (let done = 0; done < perWorker; ) {
          const current = await store.get(record.id)
          if (current === null) throw new Error('record vanished')
          const next = rotate(current, current.lastUsedAt + 1, {
            count: (current.meta.count as number) + 1,
            worker,
          })
          const result = await store.compareAndSet(record.id, current.version, next)
          if (result.ok) done++
          else if (result.reason === 'not_found') throw new Error('record vanished')
        }
      }
      await Promise.all(Array.from({ length: workers }, (_, w) => work(w)))
      const stored = await inspect.raw(record.id)
      expect(stored).not.toBeNull()
      const final = stored as FamilyRecord
      expect(final.meta.count).toBe(workers * perWorker)
      expect(final.generation).toBe(workers * perWorker)
      expect(final.version).toBe(1 + workers * perWorker)
    })

    test('concurrent writes to different families do not interfere', async ({ store, clock }) => {
      const subject = newSubject()
      const records = Array.from({ length: 50 }, () => makeRecord(clock.now(), { subject }))
      expect((await Promise.all(records.map((r) => store.create(r)))).every((r) => r.ok)).toBe(true)
      const nexts = records.map((r) => rotate(r, clock.now()))
      const results = await Promise.all(nexts.map((n) => store.compareAndSet(n.id, 1, n)))
      expect(results.every((r) => r.ok)).toBe(true)
      const listed = await listAll(store, subject)
      expect(listed).toHaveLength(50)
      for (const next of nexts) expect(await store.get(next.id)).toEqual(next)
    })
  })
}
