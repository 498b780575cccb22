// Issue 11 §3: lifetimes per family ("remember me", per-client rules) on one engine.
import { parseSetCookie } from 'cookie'
import { describe, expect, it } from 'vitest'
import { createAuthHttp } from '../http/http.js'
import { createTestEngine } from '../testing/index.js'

const DAY = 86_400_000
const policies = {
  remembered: { refreshIdleTtl: '30d', sessionMaxAge: '90d' },
  brief: { refreshIdleTtl: '1d', sessionMaxAge: '1d', sessionCookies: true },
} as const

describe('named policies', () => {
  it('a family records its policy name and every decision uses that policy', async () => {
    const { engine, clock, store } = createTestEngine({ policies, policy: { graceBinding: 'none' } })
    const remembered = await engine.issue('alice', { policy: 'remembered' })
    const plain = await engine.issue('alice')
    expect((await store.get(remembered.familyId))?.policy).toBe('remembered')
    expect((await store.get(plain.familyId))?.policy).toBeNull()
    expect(remembered.policy).toBe('remembered')
    expect(remembered.refreshTokenExpiresAt - clock.now()).toBe(30 * DAY)
    expect(remembered.familyExpiresAt - clock.now()).toBe(90 * DAY)
    expect(plain.refreshTokenExpiresAt - clock.now()).toBe(7 * DAY)
    // Eight idle days: past the default's 7, inside remembered's 30.
    clock.advance(8 * DAY)
    expect((await engine.refresh(remembered.refreshToken)).ok).toBe(true)
    expect(await engine.refresh(plain.refreshToken)).toMatchObject({ ok: false })
    expect((await engine.list('alice')).map((f) => f.id)).toEqual([remembered.familyId])
  })

  it('clientPolicies picks the policy of a client’s logins; an explicit policy wins', async () => {
    const { engine, store } = createTestEngine({ policies, clientPolicies: { mobile: 'remembered' } })
    const phone = await engine.issue('bob', { clientId: 'mobile' })
    const kiosk = await engine.issue('bob', { clientId: 'mobile', policy: 'brief' })
    const web = await engine.issue('bob', { clientId: 'web' })
    expect((await store.get(phone.familyId))?.policy).toBe('remembered')
    expect((await store.get(kiosk.familyId))?.policy).toBe('brief')
    expect((await store.get(web.familyId))?.policy).toBeNull()
  })

  it('mistakes fail at start-up or at the call, naming the field and the fix', async () => {
    expect(() => createTestEngine({ policies: { fast: { graceBinding: 'none' } as never } })).toThrow(
      /policies\.fast\.graceBinding: graceBinding is one value for the whole engine; set it in policy/,
    )
    expect(() => createTestEngine({ policies: { fast: { accessTtl: 900_000 } } })).toThrow(
      /policies\.fast\.accessTtl: 900000 is 10\.4 days as seconds.*write '15m'/,
    )
    expect(() => createTestEngine({ policies: { 'has space': {} } })).toThrow(/policies: the name "has space"/)
    expect(() => createTestEngine({ policies, clientPolicies: { mobile: 'rememberd' } })).toThrow(
      /clientPolicies\.mobile: "rememberd" is not one of the named policies \(remembered, brief\)/,
    )
    const { engine } = createTestEngine({ policies })
    await expect(engine.issue('x', { policy: 'forever' })).rejects.toThrow(
      /issue: policy "forever" is not one of the engine's named policies \(remembered, brief\)/,
    )
  })

  it('a family whose policy the engine no longer has follows the default policy', async () => {
    const first = createTestEngine({ policies, policy: { graceBinding: 'none' } })
    const pair = await first.engine.issue('carol', { policy: 'remembered' })
    const second = createTestEngine({ store: first.store, clock: first.clock, policy: { graceBinding: 'none' } })
    first.clock.advance(8 * DAY)
    expect(await second.engine.refresh(pair.refreshToken)).toMatchObject({ ok: false })
  })

  it('cookie transport: a policy with sessionCookies sets cookies without Max-Age; others keep it', async () => {
    const { engine } = createTestEngine({ policies })
    const http = createAuthHttp({ engine, transport: 'cookie' })
    const request = {
      method: 'POST',
      path: '/login',
      headers: { get: () => null },
      body: { kind: 'none' as const },
      ip: '203.0.113.7',
    }
    const brief = await http.login(request, 'dave', { policy: 'brief' })
    const lasting = await http.login(request, 'dave')
    const maxAges = (cookies: readonly string[] | undefined) =>
      (cookies ?? [])
        .map((c) => parseSetCookie(c))
        .filter((c) => c.value !== '')
        .map((c) => c.maxAge)
    expect(maxAges(brief.response.cookies)).toEqual([undefined, undefined, undefined])
    expect(maxAges(lasting.response.cookies).every((age) => typeof age === 'number' && age > 0)).toBe(true)
  })
})
