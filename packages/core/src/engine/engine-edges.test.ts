import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { deriveKeyRing } from '../keys/derive.js'
import { createManualClock, createSeededRandom, createTestStore } from '../testing/index.js'
import { encodeRefreshToken } from '../tokens/refresh-token.js'
import { createEngine } from './engine.js'
import type { FamilyStore } from './store.js'

const SECRET = 'VJ2SQmkBOvq2qcrIbpFI0f1YMbkA71JHGpj/T/Ego8w='

// Store and engine share one manual clock (the memory store expires records lazily on its clock).
const clock = createManualClock(Date.now())

function build(store: FamilyStore) {
  return createEngine({
    store,
    issuer: 'https://auth.example.test',
    audience: 'api',
    secret: SECRET,
    clock,
    random: createSeededRandom(11),
    policy: { graceBinding: 'none' },
  })
}

describe('engine edges', () => {
  it('inspectRefreshToken refuses an authentic token of a generation the family never reached', async () => {
    const store = createTestStore({ clock })
    const engine = build(store)
    const login = await engine.issue('alice')
    const family = await store.get(login.familyId)
    if (family === null) throw new Error('not stored')
    const ring = deriveKeyRing(SECRET)
    const key = ring.refreshKey(ring.activeRefreshKid, Date.now())
    if (key.status !== 'ok') throw new Error('no key')
    const future = await encodeRefreshToken(
      { kid: ring.activeRefreshKid, familyId: family.id, generation: 5 },
      key.secret,
      family.nonce,
    )
    expect(await engine.inspectRefreshToken(future)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_INVALID' })
    expect(await engine.inspectRefreshToken(login.refreshToken)).toMatchObject({ ok: true, generation: 0 })
    expect((await store.get(family.id))?.version).toBe(family.version)
  })

  it('revokeAll lets every revocation settle before it reports an outage', async () => {
    const inner = createTestStore({ clock })
    let failId = ''
    const store: FamilyStore = {
      create: (r) => inner.create(r),
      get: (id) => inner.get(id),
      listBySubject: (s, p) => inner.listBySubject(s, p),
      async compareAndSet(id, expected, next) {
        if (id === failId) throw new AuthError('ERR_STORAGE_UNAVAILABLE', 'injected')
        await new Promise((resolve) => setTimeout(resolve, 30)) // the others land later
        return inner.compareAndSet(id, expected, next)
      },
    }
    const engine = build(store)
    const pairs = await Promise.all([engine.issue('bob'), engine.issue('bob'), engine.issue('bob')])
    failId = pairs[0]!.familyId
    await expect(engine.revokeAll('bob')).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    // Nothing is still in flight: the other two were revoked before the error came back.
    for (const pair of pairs.slice(1)) expect((await inner.get(pair.familyId))?.status).toBe('revoked')
    expect((await inner.get(failId))?.status).toBe('active')
    failId = ''
    expect(await engine.revokeAll('bob')).toEqual({ revoked: 1 })
  })
})
