// Review finding 8: a rotated-away refresh token at /logout or /revoke (engine.inspectRefreshToken)
// used to revoke with reason `logout` and raise no alarm. Outside the grace window it is reuse.
import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'

describe('inspectRefreshToken on a rotated-away generation', () => {
  it('outside the grace window: reuse_detected, the family revoked with that reason, ERR_REFRESH_TOKEN_REUSED', async () => {
    const { engine, store, clock, events } = createTestEngine({ policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    expect((await engine.refresh(login.refreshToken)).ok).toBe(true)
    clock.advance(60_000) // the 10 s window is long closed
    expect(await engine.inspectRefreshToken(login.refreshToken)).toMatchObject({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_REUSED',
    })
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated', 'reuse_detected', 'revoked'])
    expect((await store.get(login.familyId))?.revocation?.reason).toBe('reuse_detected')
  })

  it('inside the grace window: the family is found (the other tab logging out is no theft)', async () => {
    const { engine, clock, events } = createTestEngine({ policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    expect((await engine.refresh(login.refreshToken)).ok).toBe(true)
    clock.advance(1000)
    expect(await engine.inspectRefreshToken(login.refreshToken)).toMatchObject({ ok: true, familyId: login.familyId })
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated'])
  })

  it('the current generation, or a family already ended: found, nothing written', async () => {
    const { engine, clock, events } = createTestEngine({ policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    const next = await engine.refresh(login.refreshToken)
    if (!next.ok) throw new Error(next.code)
    expect(await engine.inspectRefreshToken(next.pair.refreshToken)).toMatchObject({ ok: true, generation: 1 })
    await engine.revoke(login.familyId, 'logout')
    clock.advance(60_000)
    expect(await engine.inspectRefreshToken(login.refreshToken)).toMatchObject({ ok: true, generation: 0 })
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated', 'revoked'])
  })
})
