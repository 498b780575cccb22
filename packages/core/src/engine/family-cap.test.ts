// Review finding 2: families per subject are capped, evictions are revocations, and logout-all
// works in pages that each finish inside their deadline.
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { createLocalRevocationFeed, createRevokedFamilies } from '../revocation/index.js'
import { createManualClock, createTestEngine, createTestStore, listAllBySubject, makeRecord } from '../testing/index.js'
import type { FamilyStore } from './store.js'

/** `inner` with its listing calls counted, and listing pages after the `failAfter`-th failing. */
function counting(inner: FamilyStore, failAfter = Number.POSITIVE_INFINITY) {
  const calls = { list: 0 }
  const store: FamilyStore = {
    create: (r) => inner.create(r),
    get: (id) => inner.get(id),
    compareAndSet: (id, v, next) => inner.compareAndSet(id, v, next),
    listBySubject(subject, page) {
      calls.list++
      if (calls.list > failAfter) return Promise.reject(new Error('connection reset'))
      return inner.listBySubject(subject, page)
    },
  }
  return { store, calls }
}

describe('the family cap (maxFamiliesPerSubject)', () => {
  it('is 100 by default: the 101st login of one subject evicts the least recently used family', async () => {
    const { engine, clock, events } = createTestEngine()
    const logins = []
    for (let i = 0; i < 101; i++) {
      clock.advance(1000)
      logins.push(await engine.issue('busy'))
    }
    const listed = await engine.list('busy')
    expect(listed).toHaveLength(100)
    expect(listed.map((f) => f.id)).not.toContain(logins[0]?.familyId)
    expect(events.filter((e) => e.type === 'revoked')).toEqual([
      expect.objectContaining({ type: 'revoked', reason: 'evicted', familyId: logins[0]?.familyId, subject: 'busy' }),
    ])
  })

  it('evicts expired families first, then the least recently used (lastUsedAt), never the new one', async () => {
    // The store's clock stands still, so it keeps expired records (as SQL does until a purge).
    const clock = createManualClock()
    const store = createTestStore({ clock: createManualClock(clock.now()) })
    const { engine } = createTestEngine({
      clock,
      store,
      policy: { maxFamiliesPerSubject: 3, refreshIdleTtl: '1h', graceBinding: 'none' },
    })
    const old = await engine.issue('s')
    clock.advance(60_000)
    const middle = await engine.issue('s')
    clock.advance(60_000)
    const recent = await engine.issue('s')
    clock.advance(60_000)
    // The oldest login is used now: it becomes the most recently used.
    const used = await engine.refresh(old.refreshToken)
    expect(used.ok).toBe(true)
    clock.advance(60_000)
    const fourth = await engine.issue('s')
    // `middle` was the least recently used.
    expect((await store.get(middle.familyId))?.revocation?.reason).toBe('evicted')
    expect((await store.get(recent.familyId))?.status).toBe('active')
    expect((await store.get(old.familyId))?.status).toBe('active')

    // Past the idle TTL of `recent` and `old` but not of the fourth login: an expired one goes first
    // (the least recently used of the two), recorded as expired, and the live one stays.
    clock.advance(3_600_000 - 60_000)
    const fresh = await engine.issue('s')
    expect((await store.get(recent.familyId))?.revocation?.reason).toBe('expired')
    expect((await store.get(old.familyId))?.status).toBe('active')
    expect((await store.get(fresh.familyId))?.status).toBe('active')
    expect((await store.get(fourth.familyId))?.status).toBe('active')
  })

  it('counts per client: a login through one client never evicts another client’s families', async () => {
    const { engine, store } = createTestEngine({ policy: { maxFamiliesPerSubject: 2 } })
    const web = [await engine.issue('u', { clientId: 'web' }), await engine.issue('u', { clientId: 'web' })]
    const mobile = [await engine.issue('u', { clientId: 'mobile' }), await engine.issue('u', { clientId: 'mobile' })]
    const none = [await engine.issue('u'), await engine.issue('u')]
    for (const pair of [...web, ...mobile, ...none]) expect((await store.get(pair.familyId))?.status).toBe('active')
    await engine.issue('u', { clientId: 'web' })
    expect((await store.get(web[0]?.familyId as string))?.revocation?.reason).toBe('evicted')
    for (const pair of [web[1], ...mobile, ...none]) {
      expect((await store.get(pair?.familyId as string))?.status).toBe('active')
    }
  })

  it('below the cap a login reads no page of the subject (the store counted for it)', async () => {
    const clock = createManualClock()
    const { store, calls } = counting(createTestStore({ clock }))
    const { engine } = createTestEngine({ clock, store, policy: { maxFamiliesPerSubject: 5 } })
    for (let i = 0; i < 5; i++) await engine.issue('quiet')
    expect(calls.list).toBe(0)
    await engine.issue('quiet')
    expect(calls.list).toBe(1)
  })

  it('Infinity turns the cap off: 300 logins, all live, no page read', async () => {
    const clock = createManualClock()
    const { store, calls } = counting(createTestStore({ clock }))
    const { engine } = createTestEngine({ clock, store, policy: { maxFamiliesPerSubject: Number.POSITIVE_INFINITY } })
    for (let i = 0; i < 300; i++) await engine.issue('script')
    expect(calls.list).toBe(0)
    expect(await engine.list('script')).toHaveLength(300)
  })

  it('an eviction goes through the revocation set: the evicted family’s access token is refused at once', async () => {
    const clock = createManualClock()
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    const revocations = createRevokedFamilies({ feed, clock })
    await revocations.ready()
    const { engine } = createTestEngine({ clock, revocations, policy: { maxFamiliesPerSubject: 1 } })
    const first = await engine.issue('one-device')
    expect((await engine.verifyAccess(first.accessToken)).ok).toBe(true)
    await engine.issue('one-device')
    await new Promise((resolve) => setImmediate(resolve))
    expect(await engine.verifyAccess(first.accessToken)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_REVOKED' })
    await revocations.close()
  })
})

describe('revokeAll in pages', () => {
  it('walks 1,050 families in pages of 100 and ends them all; revoked families leave the index', async () => {
    const clock = createManualClock()
    const inner = createTestStore({ clock })
    const { store, calls } = counting(inner)
    const { engine } = createTestEngine({ clock, store, policy: { maxFamiliesPerSubject: Number.POSITIVE_INFINITY } })
    for (let i = 0; i < 1050; i++) await inner.create(makeRecord(clock.now(), { subject: 'many' }))
    expect(await engine.revokeAll('many')).toEqual({ revoked: 1050 })
    expect(calls.list).toBe(11)
    expect(await listAllBySubject(inner, 'many')).toEqual([])
  })

  it('an outage part-way answers ERR_STORAGE_UNAVAILABLE saying how far it got; calling it again finishes', async () => {
    const clock = createManualClock()
    const inner = createTestStore({ clock })
    const { store } = counting(inner, 3)
    const { engine } = createTestEngine({ clock, store, policy: { maxFamiliesPerSubject: Number.POSITIVE_INFINITY } })
    for (let i = 0; i < 450; i++) await inner.create(makeRecord(clock.now(), { subject: 'half' }))
    const error = await engine.revokeAll('half').then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('ERR_STORAGE_UNAVAILABLE')
    expect((error as AuthError).message).toMatch(
      /^revokeAll: revoked 300 families of the subject, then the store failed \(.*\); call revokeAll again to finish$/,
    )
    expect(await listAllBySubject(inner, 'half')).toHaveLength(150)
    const retry = createTestEngine({ store: inner, clock, policy: { maxFamiliesPerSubject: Number.POSITIVE_INFINITY } })
    expect(await retry.engine.revokeAll('half')).toEqual({ revoked: 150 })
    expect(await listAllBySubject(inner, 'half')).toEqual([])
  })

  it('a store that hands back the cursor it was given is corrupt, not an endless walk', async () => {
    const inner = createTestStore()
    const store: FamilyStore = {
      ...inner,
      listBySubject: async () => ({ records: [], cursor: 'same' }),
    }
    const { engine } = createTestEngine({ store })
    await expect(engine.list('loop')).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT' })
  })
})
