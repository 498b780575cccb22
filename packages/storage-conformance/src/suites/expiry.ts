import type { FamilyRecord, FamilyStore } from '@auth/core'
import { describe, expect, it } from 'vitest'
import { byId, listAll, optedOut, sleep, withHarness } from '../harness.js'
import { makeRecord, newSubject, rotate } from '../records.js'
import type { ConformanceOptions } from '../types.js'

/** How long a native-TTL record lives in the expiry tests (real time). */
const NATIVE_LIFETIME_MS = 1500
/** How long past its expiry a native-TTL record may linger before the test fails. */
const NATIVE_SLACK_MS = 5000

/**
 * Expiry: a record is kept at least until its `idleExpiresAt` and is gone after it, by native
 * TTL (real time), by the driver's clock, or by `purgeExpired` (bounded batches, exact counts).
 * Absolute expiry is covered too: the engine caps `idleExpiresAt` at `expiresAt`.
 */
export function expirySuite(options: ConformanceOptions): void {
  if (optedOut(options, 'expiry')) return
  const test = (name: string, fn: Parameters<typeof withHarness>[1], timeout?: number) =>
    it(name, () => withHarness(options, fn), timeout)

  describe(`${options.name}: expiry (${options.expiry})`, () => {
    switch (options.expiry) {
      case 'native':
        test(
          'a record lives until idleExpiresAt and disappears by itself after it; compareAndSet extends it',
          async ({ store, inspect }) => {
            const subject = newSubject()
            const now = Date.now()
            const short = makeRecord(now, { subject, idleExpiresAt: now + NATIVE_LIFETIME_MS })
            // Absolute expiry: idle and absolute deadlines coincide.
            const capped = makeRecord(now, {
              subject,
              idleExpiresAt: now + NATIVE_LIFETIME_MS,
              expiresAt: now + NATIVE_LIFETIME_MS,
            })
            const extended = makeRecord(now, { subject, idleExpiresAt: now + NATIVE_LIFETIME_MS })
            const long = makeRecord(now, { subject, idleExpiresAt: now + 3_600_000 })
            for (const r of [short, capped, extended, long]) expect((await store.create(r)).ok).toBe(true)
            const extendedNext = rotate(extended, Date.now())
            expect(await store.compareAndSet(extended.id, 1, extendedNext)).toEqual({ ok: true })
            // Never before: still there well inside the lifetime.
            expect(Date.now()).toBeLessThan(short.idleExpiresAt - 300)
            expect(await store.get(short.id)).toEqual(short)
            expect(byId(await listAll(store, subject))).toEqual(byId([short, capped, extendedNext, long]))

            await sleep(short.idleExpiresAt - Date.now() + 50)
            await eventually(async () => (await store.get(short.id)) === null && (await store.get(capped.id)) === null)
            expect(await inspect.raw(short.id)).toBeNull()
            expect(await inspect.raw(capped.id)).toBeNull()
            expect(byId(await listAll(store, subject))).toEqual(byId([extendedNext, long]))
            expect(await store.compareAndSet(short.id, 1, rotate(short, Date.now()))).toEqual({
              ok: false,
              reason: 'not_found',
            })
            // The expired id is free again.
            const reborn = makeRecord(Date.now(), { id: short.id, subject })
            expect((await store.create(reborn)).ok).toBe(true)
            expect(await store.get(short.id)).toEqual(reborn)
          },
          NATIVE_LIFETIME_MS + NATIVE_SLACK_MS + 10_000,
        )
        break
      case 'clock':
        test('a record lives until idleExpiresAt on the driver’s clock and is gone after it', async ({
          store,
          clock,
        }) => {
          const subject = newSubject()
          const now = clock.now()
          const short = makeRecord(now, { subject, idleExpiresAt: now + 1000 })
          const capped = makeRecord(now, { subject, idleExpiresAt: now + 1000, expiresAt: now + 1000 })
          const extended = makeRecord(now, { subject, idleExpiresAt: now + 1000 })
          const long = makeRecord(now, { subject, idleExpiresAt: now + 3_600_000 })
          for (const r of [short, capped, extended, long]) expect((await store.create(r)).ok).toBe(true)
          const extendedNext = { ...rotate(extended, now), idleExpiresAt: now + 10_000 }
          expect(await store.compareAndSet(extended.id, 1, extendedNext)).toEqual({ ok: true })
          clock.advance(999)
          expect(await store.get(short.id)).toEqual(short)
          expect(byId(await listAll(store, subject))).toEqual(byId([short, capped, extendedNext, long]))
          clock.advance(2)
          expect(await store.get(short.id)).toBeNull()
          expect(await store.get(capped.id)).toBeNull()
          expect(byId(await listAll(store, subject))).toEqual(byId([extendedNext, long]))
          expect(await store.compareAndSet(short.id, 1, rotate(short, clock.now()))).toEqual({
            ok: false,
            reason: 'not_found',
          })
          const reborn = makeRecord(clock.now(), { id: short.id, subject })
          expect((await store.create(reborn)).ok).toBe(true)
          expect(await store.get(short.id)).toEqual(reborn)
        })
        break
      case 'purge':
        test('purge mode needs purgeExpired', async ({ store }) => {
          expect(typeof store.purgeExpired, "expiry: 'purge' but the store has no purgeExpired").toBe('function')
        })
        break
      default: {
        const never: never = options.expiry
        throw new TypeError(`storage conformance: unknown expiry mode ${String(never)}`)
      }
    }

    test('purgeExpired deletes exactly the records expired at `now`, in bounded batches', async ({
      store,
      inspect,
      clock,
    }) => {
      if (store.purgeExpired === undefined) {
        expect(options.expiry, 'a store without purgeExpired must expire natively or by clock').not.toBe('purge')
        return
      }
      const purge = store.purgeExpired.bind(store) as Required<FamilyStore>['purgeExpired']
      const base = clock.now()
      const subject = newSubject()
      const records: FamilyRecord[] = Array.from({ length: 25 }, (_, i) =>
        makeRecord(base, { subject, idleExpiresAt: base + (i + 1) * 60_000 }),
      )
      for (const r of records) expect((await store.create(r)).ok).toBe(true)
      // Records 1..10 are expired at base + 10 min (at-or-before is expired), 11..25 are not.
      expect(await purge(base + 10 * 60_000, { batchSize: 3 })).toBe(10)
      for (const [i, r] of records.entries()) {
        expect(await inspect.raw(r.id)).toEqual(i < 10 ? null : r)
      }
      expect(await purge(base + 10 * 60_000, { batchSize: 3 })).toBe(0)
      expect(await purge(base + 10 * 60_000 + 59_999)).toBe(0)
      expect(byId(await listAll(store, subject))).toEqual(byId(records.slice(10)))
      // A large batch size, and the default, finish the job.
      expect(await purge(base + 20 * 60_000, { batchSize: 1000 })).toBe(10)
      expect(await purge(base + 60 * 60_000)).toBe(5)
      expect(await listAll(store, subject)).toEqual([])
      for (const r of records) expect(await inspect.raw(r.id)).toBeNull()
    })
  })
}

/** Polls `check` until it holds, failing after {@link NATIVE_SLACK_MS}. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + NATIVE_SLACK_MS
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail(`record still present ${NATIVE_SLACK_MS} ms after its idleExpiresAt`)
    await sleep(100)
  }
}
