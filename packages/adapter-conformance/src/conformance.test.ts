import { AuthError } from '@auth/core'
import type { Transport } from '@auth/core/http'
import { afterEach, describe, expect, it } from 'vitest'
import { expressAdapter } from './apps/express.js'
import { fastifyAdapter } from './apps/fastify.js'
import { honoAdapter } from './apps/hono.js'
import type { SendOptions } from './client.js'
import type { AdapterUnderTest } from './harness.js'
import { runOAuthClient, runOAuthDpopClient } from './oauth-client.js'
import { SCENARIOS } from './scenarios.js'
import { type Client, PREFIX, type SuiteContext, startSuite } from './suite.js'

const ADAPTERS: readonly AdapterUnderTest[] = [expressAdapter, fastifyAdapter, honoAdapter]
const TRANSPORTS: readonly Transport[] = ['bearer', 'cookie']

describe.each(ADAPTERS)('$name over a real socket', (adapter) => {
  let running: SuiteContext | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })
  const start = async (transport: Transport) => {
    running = await startSuite(adapter, transport)
    return running
  }

  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      for (const scenario of SCENARIOS.filter((s) => s.transports.includes(transport))) {
        it(scenario.name, async () => scenario.run(await start(transport)))
      }
    })
  }

  it('mixed transport: on one app a native client gets tokens in bodies and a browser gets cookies', async () => {
    running = await startSuite(adapter, 'cookie', { tokenLocations: ['cookie', 'header'] })
    const ctx = running
    const native = await ctx.request('/login', { json: { username: 'phone' }, headers: { 'auth-transport': 'bearer' } })
    expect(native.status, native.text).toBe(200)
    expect(native.headers.getSetCookie()).toEqual([])
    let refreshToken = native.json?.refresh_token as string
    let accessToken = native.json?.access_token as string
    for (let i = 0; i < 2; i++) {
      const rotated = await ctx.request(`${PREFIX}/refresh`, { json: { refresh_token: refreshToken } })
      expect(rotated.status, rotated.text).toBe(200)
      expect(rotated.headers.getSetCookie()).toEqual([])
      expect(rotated.json?.refresh_token).not.toBe(refreshToken)
      refreshToken = rotated.json?.refresh_token as string
      accessToken = rotated.json?.access_token as string
    }
    expect((await ctx.request('/me', { bearer: accessToken })).json?.sub).toBe('phone')
    // The browser on the same app: cookies, and its refresh by cookie never returns a token.
    const browser = await ctx.login('laptop')
    expect(browser.tokens.refresh_token).toBeUndefined()
    const rotated = await browser.refresh()
    expect(rotated.status, rotated.text).toBe(200)
    expect(rotated.json?.refresh_token).toBeUndefined()
    expect((await browser.call('/me')).json?.sub).toBe('laptop')
  })

  for (const transport of TRANSPORTS) {
    it(`${transport}: optional guards, the user loader (once per request, never on refresh), and one "no guard" value`, async () => {
      const calls: string[] = []
      running = await startSuite(adapter, transport, {
        loadUser(claims) {
          calls.push(claims.sub)
          if (claims.sub === 'gone') return null
          if (claims.sub === 'outage') throw new AuthError('ERR_STORAGE_UNAVAILABLE', 'the users database is down')
          if (claims.sub === 'bug') throw new Error('a bug in the loader')
          return { id: claims.sub, name: `User ${claims.sub}` }
        },
      })
      const ctx = running
      const alice = await ctx.login('alice')
      expect(calls).toEqual([])
      const me = await alice.call('/me')
      expect(me.json?.user).toEqual({ id: 'alice', name: 'User alice' })
      expect(calls).toEqual(['alice'])
      expect((await alice.refresh()).status).toBe(200)
      expect(calls).toEqual(['alice'])

      // A valid token whose user is gone: 401 with a stable code, never the handler.
      const gone = await ctx.login('gone')
      const refused = await gone.call('/me')
      expect([refused.status, refused.json?.code]).toEqual([401, 'ERR_USER_NOT_FOUND'])
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /)
      // A loader that throws is an outage (503) or a server error (500), never a 401, and leaks nothing.
      const as = (client: Client): SendOptions =>
        transport === 'bearer' ? { bearer: client.accessToken as string } : { jar: client.jar }
      const outage = await ctx.raw('/me', as(await ctx.login('outage')))
      expect(outage.status).toBe(503)
      const bug = await ctx.raw('/me', as(await ctx.login('bug')))
      expect(bug.status).toBe(500)
      expect(bug.text).not.toMatch(/a bug in the loader|at .*:\d+:\d+/)

      // Optional: no token passes with null; a bad token is still a 401; a good one is typed as usual.
      const anonymous = await ctx.request('/maybe')
      expect(anonymous.json).toEqual({ auth: 'null', sub: null, user: null })
      const forged = alice.copy()
      if (transport === 'bearer') forged.accessToken = 'not.a.token'
      else forged.jar.set('access_token', 'not.a.token')
      const bad = await forged.call('/maybe')
      expect(bad.status).toBe(401)
      const known = await alice.call('/maybe')
      expect(known.json).toMatchObject({ auth: 'object', sub: 'alice', user: { id: 'alice' } })
      // No guard: the same value on every adapter.
      expect((await alice.call('/bare')).json).toEqual({ ok: true, auth: 'undefined' })
    })
  }

  it('oauth4webapi runs refresh-token grants and a revocation unchanged', async () => {
    await runOAuthClient(await start('bearer'))
  })

  it("oauth4webapi's DPoP refreshes and calls a guarded route unchanged; a bound token without its key is refused", async () => {
    running = await startSuite(adapter, 'bearer', {}, { dpop: 'allowed' })
    await runOAuthDpopClient(running)
  })

  it('with requireDpopNonce, oauth4webapi retries once on use_dpop_nonce and goes on with the nonce the answers carry', async () => {
    running = await startSuite(adapter, 'bearer', { requireDpopNonce: true }, { dpop: 'allowed' })
    await runOAuthDpopClient(running, { nonces: true })
  })
})
