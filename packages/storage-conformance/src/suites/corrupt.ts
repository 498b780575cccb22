import { isAuthError } from '@auth/core'
import { describe, expect, it } from 'vitest'
import { suiteEngine } from '../engine-harness.js'
import { expectAuthError, listAll, optedOut, withHarness } from '../harness.js'
import { makeRecord, newSubject, rotate } from '../records.js'
import type { ConformanceOptions, CorruptionKind } from '../types.js'
import { thrownCode } from './engine.js'

const KINDS: readonly CorruptionKind[] = ['garbage', 'missing_field', 'wrong_type', 'unknown_field']

/**
 * Corrupt data: a record that is not what the driver wrote is reported as
 * `AuthError('ERR_STORAGE_CORRUPT')`, never returned as if it were valid, and never hides the
 * other records.
 */
export function corruptSuite(options: ConformanceOptions): void {
  if (optedOut(options, 'corrupt')) return
  const test = (name: string, fn: Parameters<typeof withHarness>[1]) => it(name, () => withHarness(options, fn))

  describe(`${options.name}: corrupt data`, () => {
    for (const kind of KINDS) {
      test(`${kind}: get and listBySubject throw ERR_STORAGE_CORRUPT; other records are unharmed`, async ({
        store,
        inspect,
        clock,
      }) => {
        const subject = newSubject()
        const victim = makeRecord(clock.now(), { subject })
        const sibling = makeRecord(clock.now(), { subject: newSubject() })
        await store.create(victim)
        await store.create(sibling)
        await inspect.corrupt(victim.id, kind)
        expect(await inspect.raw(victim.id)).toBe('corrupt')
        await expectAuthError(store.get(victim.id), 'ERR_STORAGE_CORRUPT', 'get')
        await expectAuthError(listAll(store, subject), 'ERR_STORAGE_CORRUPT', 'listBySubject')
        expect(await store.get(sibling.id)).toEqual(sibling)
        expect(await listAll(store, sibling.subject)).toEqual([sibling])
      })

      // A record with an unknown field is refused where it is read (above); the engine
      // compare-and-sets only a record it has read, so a driver's write path need not look for it.
      if (kind === 'unknown_field') continue
      test(`${kind}: compareAndSet throws ERR_STORAGE_CORRUPT, or replaces the record whole`, async ({
        store,
        inspect,
        clock,
      }) => {
        const victim = makeRecord(clock.now())
        await store.create(victim)
        await inspect.corrupt(victim.id, kind)
        const next = rotate(victim, clock.now())
        let outcome: 'threw' | 'ok' | 'refused'
        try {
          outcome = (await store.compareAndSet(victim.id, 1, next)).ok ? 'ok' : 'refused'
        } catch (error) {
          expect(isAuthError(error), `compareAndSet threw ${String(error)}`).toBe(true)
          expect((error as { code: string }).code).toBe('ERR_STORAGE_CORRUPT')
          outcome = 'threw'
        }
        // A driver whose compare-and-set checks only the version (one conditional UPDATE) may
        // overwrite the corrupt record; then what it wrote must be exactly `next`.
        if (outcome === 'ok') expect(await inspect.raw(victim.id)).toEqual(next)
        else expect(await inspect.raw(victim.id)).toBe('corrupt')
      })

      test(`${kind}: the engine fails closed: refresh, revoke and list throw, and no token is issued`, async ({
        store,
        inspect,
        clock,
      }) => {
        const { engine, events } = suiteEngine(store, clock)
        const subject = newSubject()
        const login = await engine.issue(subject)
        await inspect.corrupt(login.familyId, kind)
        events.length = 0
        expect(await thrownCode(() => engine.refresh(login.refreshToken))).toEqual({ threw: 'ERR_STORAGE_CORRUPT' })
        expect(await thrownCode(() => engine.revoke(login.familyId, 'logout'))).toEqual({
          threw: 'ERR_STORAGE_CORRUPT',
        })
        expect(await thrownCode(() => engine.list(subject))).toEqual({ threw: 'ERR_STORAGE_CORRUPT' })
        expect(await thrownCode(() => engine.revokeAll(subject))).toEqual({ threw: 'ERR_STORAGE_CORRUPT' })
        expect(events).toEqual([])
        expect(await inspect.raw(login.familyId)).toBe('corrupt')
      })
    }
  })
}
