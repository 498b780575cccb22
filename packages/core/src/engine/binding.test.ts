// Review finding 1: under a binding policy, a refresh that carries no binding value must neither
// rotate (the current generation: refused before anything is decided) nor replay (the previous
// generation: a mismatch, so reuse).
import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'

for (const graceBinding of ['user_agent', 'device_id'] as const) {
  describe(`graceBinding '${graceBinding}': a refresh without a binding value`, () => {
    it('of the current generation is refused with ERR_REFRESH_BINDING_MISSING naming the header; nothing rotates, nothing is revoked', async () => {
      const { engine, store, events } = createTestEngine({ policy: { graceBinding } })
      const login = await engine.issue('alice')
      const before = await store.get(login.familyId)
      const refused = await engine.refresh(login.refreshToken)
      expect(refused).toMatchObject({ ok: false, code: 'ERR_REFRESH_BINDING_MISSING' })
      expect(!refused.ok && refused.message).toMatch(graceBinding === 'user_agent' ? /User-Agent/ : /x-device-id/)
      expect(await store.get(login.familyId)).toEqual(before)
      expect(events.map((e) => e.type)).toEqual(['issued', 'refresh_refused'])
      // The honest client, sending its binding, still rotates.
      expect(await engine.refresh(login.refreshToken, { binding: 'client-a' })).toMatchObject({
        ok: true,
        type: 'rotated',
      })
    })

    it('of the previous generation inside the grace window is reuse: the family is revoked', async () => {
      const { engine, clock, events } = createTestEngine({ policy: { graceBinding } })
      const login = await engine.issue('alice')
      expect((await engine.refresh(login.refreshToken, { binding: 'client-a' })).ok).toBe(true)
      clock.advance(1000) // well inside the 10 s window
      expect(await engine.refresh(login.refreshToken)).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REUSED' })
      expect(events.map((e) => e.type)).toEqual(['issued', 'rotated', 'reuse_detected', 'revoked'])
      // The honest client's own replay with its binding is then refused too: the family is gone.
      expect(await engine.refresh(login.refreshToken, { binding: 'client-a' })).toMatchObject({ ok: false })
    })
  })
}

describe("graceBinding 'none'", () => {
  it('needs no binding value to rotate or to replay', async () => {
    const { engine } = createTestEngine({ policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    expect(await engine.refresh(login.refreshToken)).toMatchObject({ ok: true, type: 'rotated' })
    expect(await engine.refresh(login.refreshToken)).toMatchObject({ ok: true, type: 'replayed' })
  })
})
