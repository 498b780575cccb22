import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'

type App = { role: string; tenant?: string; note?: string }

function verified<T extends object>(result: { ok: boolean; claims?: T }): T {
  if (!result.ok || result.claims === undefined) throw new Error('expected a valid access token')
  return result.claims
}

describe('login claims are kept with the family', () => {
  it('survive every rotation (three refreshes), with no claims loader', async () => {
    const { engine, clock } = createTestEngine({ policy: { graceBinding: 'none' } })
    let pair = await engine.issue('alice', { claims: { role: 'admin', tenant: 'acme' } })
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000)
      const next = await engine.refresh(pair.refreshToken)
      if (!next.ok) throw new Error(next.code)
      pair = next.pair
      const claims = verified(await engine.verifyAccess<App>(pair.accessToken))
      expect(claims).toMatchObject({ sub: 'alice', role: 'admin', tenant: 'acme' })
    }
  })

  it('are put back into a grace replay too', async () => {
    const { engine, clock } = createTestEngine({ policy: { graceBinding: 'none' } })
    const pair = await engine.issue('alice', { claims: { role: 'admin' } })
    clock.advance(1000)
    expect((await engine.refresh(pair.refreshToken)).ok).toBe(true)
    const replay = await engine.refresh(pair.refreshToken)
    if (!replay.ok) throw new Error(replay.code)
    expect(replay.type).toBe('replayed')
    expect(verified(await engine.verifyAccess<App>(replay.pair.accessToken)).role).toBe('admin')
  })

  it("a refresh's own claims win for that token only and are never written back", async () => {
    const { engine, store, clock } = createTestEngine({ policy: { graceBinding: 'none' } })
    const pair = await engine.issue('alice', { claims: { role: 'admin', tenant: 'acme' } })
    clock.advance(1000)
    const one = await engine.refresh(pair.refreshToken, { claims: { role: 'reader', note: 'step-up' } })
    if (!one.ok) throw new Error(one.code)
    expect(verified(await engine.verifyAccess<App>(one.pair.accessToken))).toMatchObject({
      role: 'reader',
      tenant: 'acme',
      note: 'step-up',
    })
    expect((await store.get(pair.familyId))?.claims).toEqual({ role: 'admin', tenant: 'acme' })
    clock.advance(1000)
    const two = await engine.refresh(one.pair.refreshToken)
    if (!two.ok) throw new Error(two.code)
    const claims = verified(await engine.verifyAccess<App>(two.pair.accessToken))
    expect(claims.role).toBe('admin')
    expect(claims.note).toBeUndefined()
  })

  it('are capped at 2 KiB of UTF-8 JSON by default, configurable, refused beyond with the limit and the option named', async () => {
    const { engine } = createTestEngine()
    // 2,048 bytes exactly: {"a":"…"} is 8 bytes of JSON around the value; é is 2 bytes of UTF-8.
    const atCap = { a: 'é'.repeat(1020) }
    await expect(engine.issue('alice', { claims: atCap })).resolves.toMatchObject({ generation: 0 })
    await expect(engine.issue('alice', { claims: { a: 'é'.repeat(1021) } })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/2050 bytes.*limit of 2048.*maxClaimsBytes/),
    })
    const roomy = createTestEngine({ maxClaimsBytes: 8192 }).engine
    await expect(roomy.issue('alice', { claims: { a: 'é'.repeat(1021) } })).resolves.toMatchObject({ generation: 0 })
    expect(() => createTestEngine({ maxClaimsBytes: 0 })).toThrow(/maxClaimsBytes/)
  })

  it('must be JSON: a BigInt or a cycle is refused at issue, before anything is stored', async () => {
    const { engine, store } = createTestEngine()
    await expect(engine.issue('alice', { claims: { n: 1n } })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(engine.issue('alice', { claims: { c: cyclic } })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    expect(store.size()).toBe(0)
  })

  it('are never shown in the session list', async () => {
    const { engine } = createTestEngine()
    await engine.issue('alice', { claims: { role: 'admin' } })
    const [session] = await engine.list('alice')
    expect(session).toBeDefined()
    expect(JSON.stringify(session)).not.toContain('admin')
    expect(Object.keys(session ?? {})).not.toContain('claims')
  })
})
