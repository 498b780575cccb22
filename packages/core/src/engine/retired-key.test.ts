// Review finding 7: a routinely retired refresh MAC key must not end reuse detection.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { KeyRingInput } from '../keys/types.js'
import { createManualClock, createTestEngine, createTestStore } from '../testing/index.js'

const DAY = 86_400_000
const signing = [{ kid: 's1', alg: 'HS256' as const, secret: randomBytes(32) }]
const r1 = { kid: 'r1', secret: randomBytes(32) }
const r2 = { kid: 'r2', secret: randomBytes(32) }
const policy = { graceBinding: 'none' as const, sessionMaxAge: '30d', refreshIdleTtl: '30d' }

/** A family logged in and rotated once under r1, then a node whose ring has r2 active and r1 in `r1State`. */
async function rotatedUnderR1(r1State: Partial<{ retiresAt: number; compromised: boolean }> | 'removed') {
  const clock = createManualClock()
  const store = createTestStore({ clock })
  const before = createTestEngine({ clock, store, policy, keys: { signing, refresh: [r1] } })
  const login = await before.engine.issue('alice')
  const next = await before.engine.refresh(login.refreshToken)
  if (!next.ok) throw new Error(next.code)
  clock.advance(60_000) // the grace window is closed
  const refresh: KeyRingInput['refresh'] = r1State === 'removed' ? [r2] : [r2, { ...r1, ...r1State }]
  const after = createTestEngine({ clock, store, policy, keys: { signing, refresh, activeRefreshKid: 'r2' } })
  return { clock, store, login, current: next.pair.refreshToken, after }
}

describe('a retired refresh MAC key', () => {
  it('keeps verifying for reuse detection: an authentic rotated-away token under it revokes its family', async () => {
    const { clock, store, login, after } = await rotatedUnderR1({ retiresAt: Date.UTC(2026, 0, 1) + 30_000 })
    clock.advance(DAY)
    expect(await after.engine.refresh(login.refreshToken)).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_REUSED',
      revocationReason: 'reuse_detected',
    })
    expect(after.events.map((e) => e.type)).toEqual(['reuse_detected', 'revoked'])
    expect((await store.get(login.familyId))?.revocation?.reason).toBe('reuse_detected')
  })

  it('never rotates or replays: the current token under it is ERR_REFRESH_TOKEN_KEY_RETIRED and the family stays', async () => {
    const { store, login, current, after } = await rotatedUnderR1({ retiresAt: Date.UTC(2026, 0, 1) + 30_000 })
    expect(await after.engine.refresh(current)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_KEY_RETIRED' })
    expect((await store.get(login.familyId))?.status).toBe('active')
    expect(after.events).toMatchObject([{ type: 'refresh_refused', code: 'ERR_REFRESH_TOKEN_KEY_RETIRED' }])
  })

  it('stops verifying at retiresAt + sessionMaxAge', async () => {
    const retiresAt = Date.UTC(2026, 0, 1) + 30_000
    const { clock, store, login, after } = await rotatedUnderR1({ retiresAt })
    clock.set(retiresAt + 30 * DAY)
    expect(await after.engine.refresh(login.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_KEY_RETIRED' })
    expect(after.events).toEqual([])
    void store
  })

  it('marked compromised, or removed from the ring, verifies nothing: no reuse detection, the family untouched', async () => {
    const compromised = await rotatedUnderR1({ retiresAt: Date.UTC(2026, 0, 1) + 30_000, compromised: true })
    expect(await compromised.after.engine.refresh(compromised.login.refreshToken)).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_KEY_RETIRED',
    })
    expect((await compromised.store.get(compromised.login.familyId))?.status).toBe('active')
    const removed = await rotatedUnderR1('removed')
    expect(await removed.after.engine.refresh(removed.login.refreshToken)).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_INVALID',
    })
    expect((await removed.store.get(removed.login.familyId))?.status).toBe('active')
  })

  it('compromised needs retiresAt', () => {
    expect(() =>
      createTestEngine({ keys: { signing, refresh: [r2, { ...r1, compromised: true }], activeRefreshKid: 'r2' } }),
    ).toThrow(/compromised key needs retiresAt/)
  })
})
