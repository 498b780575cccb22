// Review finding 12: shortening the policy must reach families created under a longer one.
import { describe, expect, it } from 'vitest'
import { createManualClock, createTestEngine, createTestStore } from '../testing/index.js'

const DAY = 86_400_000

describe('a shortened policy reaches existing families', () => {
  it('sessionMaxAge 30d -> 1d: a family created under 30 days no longer rotates two days later', async () => {
    const clock = createManualClock()
    const store = createTestStore({ clock })
    const before = createTestEngine({ clock, store, policy: { graceBinding: 'none', sessionMaxAge: '30d' } })
    const login = await before.engine.issue('alice')
    clock.advance(2 * DAY - 60_000)
    // Still fine under the old policy (and its access tokens last their full 15 minutes).
    expect(await before.engine.inspectRefreshToken(login.refreshToken)).toMatchObject({ ok: true })

    const after = createTestEngine({
      clock,
      store,
      policy: { graceBinding: 'none', sessionMaxAge: '1d', refreshIdleTtl: '1d' },
    })
    clock.advance(60_000)
    expect(await after.engine.refresh(login.refreshToken)).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_EXPIRED',
    })
    expect(after.events.map((e) => e.type)).toEqual(['expired'])
    expect(await after.engine.list('alice')).toEqual([])
  })

  it('the access token and the stored expiry are capped by createdAt + the new sessionMaxAge', async () => {
    const clock = createManualClock()
    const store = createTestStore({ clock })
    const before = createTestEngine({ clock, store, policy: { graceBinding: 'none', sessionMaxAge: '30d' } })
    const login = await before.engine.issue('alice')
    clock.advance(DAY - 5 * 60_000) // five minutes before the new, shorter maximum age
    const after = createTestEngine({
      clock,
      store,
      policy: { graceBinding: 'none', sessionMaxAge: '1d', refreshIdleTtl: '1d' },
    })
    const next = await after.engine.refresh(login.refreshToken)
    if (!next.ok) throw new Error(next.code)
    const createdAt = login.familyExpiresAt - 30 * DAY
    expect(next.pair.familyExpiresAt).toBe(createdAt + DAY)
    expect(next.pair.accessTokenExpiresAt).toBeLessThanOrEqual(createdAt + DAY)
    expect((await store.get(login.familyId))?.expiresAt).toBe(createdAt + DAY)
  })

  it('refreshIdleTtl 7d -> 1h: a family idle for two hours is expired', async () => {
    const clock = createManualClock()
    const store = createTestStore({ clock })
    const before = createTestEngine({ clock, store, policy: { graceBinding: 'none' } })
    const login = await before.engine.issue('alice')
    clock.advance(2 * 60 * 60_000)
    const after = createTestEngine({ clock, store, policy: { graceBinding: 'none', refreshIdleTtl: '1h' } })
    expect(await after.engine.refresh(login.refreshToken)).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_EXPIRED',
    })
  })
})
