// Review finding 14: the CSRF token is bound to the family (an HMAC of its id under a key the
// attacker does not have), so a value planted by a sibling subdomain matches no session.
import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'
import { createEngine } from './engine.js'

describe('engine.csrfToken / verifyCsrfToken', () => {
  it('is the same for every generation of a family, differs between families, and verifies only its own', async () => {
    const { engine } = createTestEngine({ policy: { graceBinding: 'none' } })
    const a = await engine.issue('alice')
    const b = await engine.issue('alice')
    const token = await engine.csrfToken(a.familyId)
    expect(token).toMatch(/^[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{43}$/)
    const rotated = await engine.refresh(a.refreshToken)
    expect(rotated.ok).toBe(true)
    expect(await engine.csrfToken(a.familyId)).toBe(token)
    expect(await engine.csrfToken(b.familyId)).not.toBe(token)
    expect(await engine.verifyCsrfToken(a.familyId, token)).toBe(true)
    expect(await engine.verifyCsrfToken(b.familyId, token)).toBe(false)
  })

  it('refuses planted, tampered and malformed values', async () => {
    const { engine } = createTestEngine()
    const { familyId } = await engine.issue('alice')
    const token = await engine.csrfToken(familyId)
    const [kid, mac] = token.split('.') as [string, string]
    const planted = [
      `${kid}.${'A'.repeat(43)}`,
      `${kid}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `other.${mac}`,
      mac,
      '',
      `${token}x`,
      'a'.repeat(4096),
    ]
    for (const value of planted) expect(await engine.verifyCsrfToken(familyId, value), value.slice(0, 40)).toBe(false)
    expect(await engine.verifyCsrfToken(familyId, 42 as unknown as string)).toBe(false)
  })

  it('another deployment (another secret) cannot mint one that verifies here', async () => {
    const { engine } = createTestEngine()
    const { familyId } = await engine.issue('alice')
    const elsewhere = createEngine({
      store: createTestEngine().store,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: 'wP0fRjFTT+ZDdX0LXT9QIhIKtwTK5AsqtiljrgEi0a8=',
    })
    expect(await engine.verifyCsrfToken(familyId, await elsewhere.csrfToken(familyId))).toBe(false)
  })
})
