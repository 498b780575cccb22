// Issue 11 §3: a per-token access lifetime shorter than the policy's (flask-jwt-extended's expires_delta).
import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'

describe('a per-token accessTtl', () => {
  it('at issue and at refresh, shortens that token only', async () => {
    const { engine, clock } = createTestEngine({ policy: { graceBinding: 'none', accessTtl: '15m' } })
    const now = clock.now()
    const short = await engine.issue('alice', { accessTtl: '2m' })
    expect(short.accessTokenExpiresAt).toBe(Math.floor(now / 1000) * 1000 + 120_000)
    const next = await engine.refresh(short.refreshToken, { accessTtl: 30 })
    if (!next.ok) throw new Error(next.code)
    expect(next.pair.accessTokenExpiresAt).toBe(Math.floor(now / 1000) * 1000 + 30_000)
    const normal = await engine.refresh(next.pair.refreshToken)
    if (!normal.ok) throw new Error(normal.code)
    expect(normal.pair.accessTokenExpiresAt).toBe(Math.floor(now / 1000) * 1000 + 900_000)
  })

  it('is never longer than the policy allows, nor under a second: refused naming the limit', async () => {
    const { engine } = createTestEngine({ policy: { accessTtl: '15m' } })
    await expect(engine.issue('alice', { accessTtl: '1h' })).rejects.toThrow(
      /issue: accessTtl must be between 1 second and the policy's accessTtl \(900 s\)/,
    )
    await expect(engine.issue('alice', { accessTtl: 0 })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
  })
})
