import { describe, expect, it } from 'vitest'
import { createEngine } from '../engine/engine.js'
import { AuthError } from '../errors/index.js'
import type { AuthEvent } from '../events/index.js'
import { createManualClock, createTestStore } from '../testing/index.js'
import { createLocalRevocationFeed } from './local-feed.js'
import { createRevokedFamilies } from './revoked-families.js'

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('createRevokedFamilies', () => {
  it('answers stale until the first resync, then live/revoked, and drops entries at until', async () => {
    const clock = createManualClock()
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    await feed.publish('old', clock.now() + 10_000)
    const set = createRevokedFamilies({ feed, clock, staleness: '5s' })
    expect(set.check('x', clock.now())).toBe('stale')
    await set.ready()
    expect(set.check('old', clock.now())).toBe('revoked')
    expect(set.check('x', clock.now())).toBe('live')
    clock.advance(4_000)
    feed.heartbeat()
    clock.advance(4_000)
    expect(set.check('old', clock.now())).toBe('revoked')
    clock.advance(2_001)
    feed.heartbeat()
    expect(set.check('old', clock.now())).toBe('live')
    expect(set.status().size).toBe(0)
    await set.close()
  })

  it('fails closed once the feed is unheard for longer than the staleness bound, and resyncs on reconnect', async () => {
    const clock = createManualClock()
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    const a = createRevokedFamilies({ feed, clock, staleness: '5s' })
    const b = createRevokedFamilies({ feed, clock, staleness: '5s' })
    await Promise.all([a.ready(), b.ready()])
    feed.setConnected(false)
    await a.add('fam-1', clock.now() + 60_000) // logged, but b cannot hear it
    expect(a.check('fam-1', clock.now())).toBe('revoked')
    expect(b.check('fam-1', clock.now())).toBe('live') // deaf, still within the bound
    clock.advance(5_001)
    expect(b.check('fam-1', clock.now())).toBe('stale')
    feed.setConnected(true)
    await flush()
    expect(b.status().synced).toBe(true)
    expect(b.check('fam-1', clock.now())).toBe('revoked')
    await Promise.all([a.close(), b.close()])
  })

  it('retries a failed publish in the background until it reaches the feed', async () => {
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    let failures = 2
    const errors: string[] = []
    const flaky = {
      ...feed,
      async publish(familyId: string, until: number) {
        if (failures-- > 0) throw new Error('down')
        return feed.publish(familyId, until)
      },
    }
    const set = createRevokedFamilies({ feed: flaky, onError: (_e, what) => errors.push(what) })
    await set.ready()
    await set.add('fam-x', Date.now() + 60_000)
    expect(set.check('fam-x', Date.now())).toBe('revoked')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(errors).toEqual(['publish', 'publish'])
    expect((await feed.listRevoked(Date.now())).map((e) => e.familyId)).toEqual(['fam-x'])
    await set.close()
  })

  it('refuses bad options with ERR_CONFIG_INVALID', () => {
    expect(() => createRevokedFamilies({ feed: {} as never })).toThrow(AuthError)
    expect(() =>
      createRevokedFamilies({ feed: createLocalRevocationFeed({ heartbeatInterval: false }), staleness: -1 }),
    ).toThrow(/staleness/)
  })
})

describe('engine with revocations', () => {
  it('revoke, revokeAll and reuse on one engine refuse access tokens on another; stale throws ERR_STORAGE_UNAVAILABLE', async () => {
    const clock = createManualClock()
    const store = createTestStore({ clock })
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    const events: AuthEvent[] = []
    const options = {
      store,
      issuer: 'https://issuer.test',
      audience: 'api',
      secret: 'GrVs7RGZGDcuEUKjf9+7gk1sao3YDVvQSF5RUQFmiV8=',
      clock,
      policy: { graceBinding: 'none' as const },
    }
    const setA = createRevokedFamilies({ feed, clock })
    const setB = createRevokedFamilies({ feed, clock })
    const a = createEngine({ ...options, revocations: setA, onEvent: (e) => events.push(e) })
    const b = createEngine({ ...options, revocations: setB })
    await Promise.all([setA.ready(), setB.ready()])

    const one = await a.issue('alice')
    expect((await b.verifyAccess(one.accessToken)).ok).toBe(true) // cached on b now
    expect((await a.revoke(one.familyId, 'logout')).ok).toBe(true)
    expect(await b.verifyAccess(one.accessToken)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_REVOKED' })

    const two = await a.issue('bob')
    const three = await a.issue('bob')
    await a.revokeAll('bob')
    expect(await b.verifyAccess(two.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    expect(await b.verifyAccess(three.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })

    const four = await a.issue('carol')
    const rotated = await a.refresh(four.refreshToken)
    if (!rotated.ok) throw new Error(rotated.code)
    clock.advance(60_000) // past the grace window
    feed.heartbeat()
    expect(await a.refresh(four.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
    expect(await b.verifyAccess(rotated.pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    expect(events.filter((e) => e.type === 'revoked').length).toBe(4)

    const five = await a.issue('dave')
    feed.setConnected(false)
    clock.advance(5_001)
    await expect(b.verifyAccess(five.accessToken)).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    feed.setConnected(true)
    await flush()
    expect((await b.verifyAccess(five.accessToken)).ok).toBe(true)
    await Promise.all([setA.close(), setB.close()])
  })
})
