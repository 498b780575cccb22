import type { Transport } from '@auth/core/http'
import { afterEach, describe, expect, it } from 'vitest'
import { expressAdapter } from './apps/express.js'
import { fastifyAdapter } from './apps/fastify.js'
import { honoAdapter } from './apps/hono.js'
import type { AdapterUnderTest } from './harness.js'
import { runOAuthClient } from './oauth-client.js'
import { SCENARIOS } from './scenarios.js'
import { PREFIX, type SuiteContext, startSuite } from './suite.js'

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

  it('oauth4webapi runs refresh-token grants and a revocation unchanged', async () => {
    await runOAuthClient(await start('bearer'))
  })
})
