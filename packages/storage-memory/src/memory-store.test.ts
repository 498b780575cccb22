import type { FamilyRecord } from '@auth/core'
import { isAuthError } from '@auth/core'
import { createManualClock, listAllBySubject } from '@auth/core/testing'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from './index.js'

const T0 = Date.UTC(2026, 0, 1)
const DAY = 86_400_000

function record(overrides: Partial<FamilyRecord> = {}): FamilyRecord {
  return {
    id: 'fam-1',
    subject: 'alice',
    generation: 0,
    status: 'active',
    revocation: null,
    createdAt: T0,
    authTime: T0,
    lastUsedAt: T0,
    rotatedAt: null,
    rotatedBinding: null,
    expiresAt: T0 + 30 * DAY,
    idleExpiresAt: T0 + 7 * DAY,
    version: 1,
    nonce: 'bm9uY2Vub25jZW5vbmNlbm9uY2U',
    meta: { userAgent: 'test' },
    claims: {},
    policy: null,
    clientId: null,
    jkt: null,
    ...overrides,
  }
}

function rotate(r: FamilyRecord): FamilyRecord {
  return { ...r, generation: r.generation + 1, version: r.version + 1 }
}

describe('memory store: contract', () => {
  it('creates a record and reads back exactly what was written', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    const r = record()
    expect(await store.create(r)).toEqual({ ok: true, families: 1 })
    expect(await store.get(r.id)).toEqual(r)
    expect(store.size()).toBe(1)
  })

  it('refuses to create an id that exists', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    await store.create(record())
    expect(await store.create(record({ subject: 'mallory' }))).toEqual({ ok: false, reason: 'exists' })
    expect((await store.get('fam-1'))?.subject).toBe('alice')
  })

  it('gives exactly one winner under concurrent creates of one id', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    const results = await Promise.all(Array.from({ length: 50 }, () => store.create(record())))
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok && r.reason === 'exists')).toHaveLength(49)
  })

  it('returns null for an id it never stored', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    expect(await store.get('nope')).toBeNull()
  })

  it('compare-and-sets on the expected version only', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    const r = record()
    await store.create(r)
    const next = rotate(r)
    expect(await store.compareAndSet(r.id, 1, next)).toEqual({ ok: true })
    expect(await store.get(r.id)).toEqual(next)
    // A second writer that read version 1 loses and changes nothing.
    expect(await store.compareAndSet(r.id, 1, { ...next, generation: 99 })).toEqual({ ok: false, reason: 'conflict' })
    expect((await store.get(r.id))?.generation).toBe(1)
  })

  it('says not_found for a compare-and-set on a missing record', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    expect(await store.compareAndSet('ghost', 1, rotate(record({ id: 'ghost' })))).toEqual({
      ok: false,
      reason: 'not_found',
    })
    expect(await store.get('ghost')).toBeNull()
  })

  it('refuses a compare-and-set that would change the id or subject', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    await store.create(record())
    const err = await store.compareAndSet('fam-1', 1, rotate(record({ subject: 'mallory' }))).catch((e: unknown) => e)
    expect(isAuthError(err)).toBe(true)
    expect((await store.get('fam-1'))?.subject).toBe('alice')
    expect((await listAllBySubject(store, 'mallory')).length).toBe(0)
  })

  it('lets exactly one of 200 concurrent compare-and-sets on one version win', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    const r = record()
    await store.create(r)
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.compareAndSet(r.id, 1, { ...rotate(r), generation: i + 1 })),
    )
    const winners = results.flatMap((res, i) => (res.ok ? [i] : []))
    expect(winners).toHaveLength(1)
    expect(results.filter((res) => !res.ok && res.reason === 'conflict')).toHaveLength(199)
    const stored = await store.get(r.id)
    expect(stored?.version).toBe(2)
    expect(stored?.generation).toBe(winners[0]! + 1)
  })

  it('lists every record of a subject, active and revoked, and no one else’s', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    await store.create(record({ id: 'a1' }))
    await store.create(record({ id: 'a2', status: 'revoked', revocation: { reason: 'logout', at: T0 } }))
    await store.create(record({ id: 'b1', subject: 'bob' }))
    const ids = (await listAllBySubject(store, 'alice')).map((r) => r.id).sort()
    expect(ids).toEqual(['a1', 'a2'])
    expect((await listAllBySubject(store, 'bob')).map((r) => r.id)).toEqual(['b1'])
    expect(await listAllBySubject(store, 'carol')).toEqual([])
  })

  it('keeps what it stored safe from the caller’s objects', async () => {
    const store = createMemoryStore({ clock: createManualClock(T0) })
    const input = { ...record(), meta: { userAgent: 'original' } }
    await store.create(input)
    ;(input as { generation: number }).generation = 42
    ;(input.meta as Record<string, unknown>).userAgent = 'changed'
    const got = await store.get(input.id)
    expect(got?.generation).toBe(0)
    expect(got?.meta.userAgent).toBe('original')
    // What it hands out is frozen: mutating it throws in strict mode and changes nothing.
    expect(() => {
      ;(got as { generation: number }).generation = 7
    }).toThrow(TypeError)
    expect(() => {
      ;(got?.meta as Record<string, unknown>).userAgent = 'x'
    }).toThrow(TypeError)
    expect((await store.get(input.id))?.generation).toBe(0)
  })
})

describe('memory store: expiry', () => {
  it('keeps a record until its idle expiry and drops it at that instant', async () => {
    const clock = createManualClock(T0)
    const store = createMemoryStore({ clock })
    const r = record({ idleExpiresAt: T0 + 1000 })
    await store.create(r)
    clock.set(T0 + 999)
    expect(await store.get(r.id)).toEqual(r)
    clock.set(T0 + 1000)
    expect(await store.get(r.id)).toBeNull()
    expect(store.size()).toBe(0)
    expect(await listAllBySubject(store, 'alice')).toEqual([])
  })

  it('treats an expired record as missing for compare-and-set, listing and create', async () => {
    const clock = createManualClock(T0)
    const store = createMemoryStore({ clock })
    const r = record({ idleExpiresAt: T0 + 1000 })
    await store.create(r)
    await store.create(record({ id: 'other', idleExpiresAt: T0 + 5000 }))
    clock.set(T0 + 2000)
    expect(await store.compareAndSet(r.id, 1, rotate(r))).toEqual({ ok: false, reason: 'not_found' })
    expect((await listAllBySubject(store, 'alice')).map((x) => x.id)).toEqual(['other'])
    // The id is free again.
    expect(await store.create(record({ idleExpiresAt: T0 + 9000 }))).toEqual({ ok: true, families: 2 })
  })

  it('a compare-and-set that moves idle expiry keeps the record alive', async () => {
    const clock = createManualClock(T0)
    const store = createMemoryStore({ clock })
    const r = record({ idleExpiresAt: T0 + 1000 })
    await store.create(r)
    clock.set(T0 + 500)
    expect(await store.compareAndSet(r.id, 1, { ...rotate(r), idleExpiresAt: T0 + 1500 })).toEqual({ ok: true })
    clock.set(T0 + 1200)
    expect((await store.get(r.id))?.version).toBe(2)
  })

  it('purges expired records in batches and keeps the subject index consistent', async () => {
    const clock = createManualClock(T0)
    const store = createMemoryStore({ clock })
    for (let i = 0; i < 25; i++) {
      await store.create(record({ id: `old-${i}`, subject: `s${i % 3}`, idleExpiresAt: T0 + 1000 }))
    }
    await store.create(record({ id: 'young', subject: 's0', idleExpiresAt: T0 + 10_000 }))
    expect(await store.purgeExpired(T0 + 999, { batchSize: 4 })).toBe(0)
    expect(await store.purgeExpired(T0 + 1000, { batchSize: 4 })).toBe(25)
    expect(store.size()).toBe(1)
    expect((await listAllBySubject(store, 's0')).map((r) => r.id)).toEqual(['young'])
    expect(await listAllBySubject(store, 's1')).toEqual([])
    expect(await store.purgeExpired(T0 + 1000)).toBe(0)
  })

  it('refuses a nonsensical batch size', async () => {
    const store = createMemoryStore()
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      const err = await store.purgeExpired(0, { batchSize }).catch((e: unknown) => e)
      expect(isAuthError(err) && err.code).toBe('ERR_CONFIG_INVALID')
    }
  })
})
