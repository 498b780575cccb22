// Review finding 16: a refused refresh says why the family ended, for a MAC-verified token only.
import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'

describe('a refused refresh carries the revocation reason', () => {
  it('logout, logout_all, admin, reuse_detected and expired each reach the client as revocationReason', async () => {
    const { engine, clock, store } = createTestEngine({ policy: { graceBinding: 'none', refreshIdleTtl: '1h' } })
    const cases: [string, () => Promise<string>][] = [
      [
        'logout',
        async () => {
          const p = await engine.issue('a')
          await engine.revoke(p.familyId, 'logout')
          return p.refreshToken
        },
      ],
      [
        'logout_all',
        async () => {
          const p = await engine.issue('b')
          await engine.revokeAll('b')
          return p.refreshToken
        },
      ],
      [
        'admin',
        async () => {
          const p = await engine.issue('c')
          await engine.revoke(p.familyId, 'admin')
          return p.refreshToken
        },
      ],
    ]
    for (const [reason, make] of cases) {
      const token = await make()
      expect(await engine.refresh(token), reason).toMatchObject({
        ok: false,
        code: 'ERR_REFRESH_TOKEN_REVOKED',
        revocationReason: reason,
      })
    }
    // Reuse: the detecting refresh and every later one say reuse_detected.
    const stolen = await engine.issue('d')
    expect((await engine.refresh(stolen.refreshToken)).ok).toBe(true)
    clock.advance(60_000)
    expect(await engine.refresh(stolen.refreshToken)).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_REUSED',
      revocationReason: 'reuse_detected',
    })
    expect(await engine.refresh(stolen.refreshToken)).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_REVOKED',
      revocationReason: 'reuse_detected',
    })
    // Expiry, while the store still holds the record (the memory and Redis drivers drop it at its
    // stored idle expiry; then the token is just ERR_REFRESH_TOKEN_INVALID): a shorter idle TTL.
    const idle = await engine.issue('e')
    clock.advance(45 * 60_000)
    const stricter = createTestEngine({ clock, store, policy: { graceBinding: 'none', refreshIdleTtl: '30m' } })
    expect(await stricter.engine.refresh(idle.refreshToken)).toMatchObject({
      code: 'ERR_REFRESH_TOKEN_EXPIRED',
      revocationReason: 'expired',
    })
  })

  it('a forged token (its MAC does not verify) learns nothing, not even that the family ended', async () => {
    const { engine } = createTestEngine({ policy: { graceBinding: 'none' } })
    const p = await engine.issue('a')
    await engine.revoke(p.familyId, 'logout')
    // rt1.<kid>.<family>.<generation>.<mac>: one character of the MAC changed (not the last,
    // whose spare bits would make it non-canonical, a different refusal).
    const at = p.refreshToken.lastIndexOf('.') + 1
    const flipped = p.refreshToken[at] === 'A' ? 'B' : 'A'
    const forged = `${p.refreshToken.slice(0, at)}${flipped}${p.refreshToken.slice(at + 1)}`
    const refused = await engine.refresh(forged)
    expect(refused).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_INVALID' })
    expect(refused).not.toHaveProperty('revocationReason')
    expect(refused).not.toHaveProperty('familyId')
  })
})
