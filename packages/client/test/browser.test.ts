// @auth/client in Debian's Chromium (playwright-core, never a downloaded browser), cookie
// transport over HTTPS: two tabs of one browser share one refresh after the page clock jumps past
// the refresh time, and a logout in one tab signs the other out and leaves no session cookie.
// The many-tab proofs of issue 13 build on this harness.
import { existsSync } from 'node:fs'
import { type AuthEvent, createEngine } from '@auth/core'
import { TEST_SECRET } from '@auth/core/testing'
import { selfSignedCertificate } from '@auth/example-common'
import { authPlugin } from '@auth/fastify'
import { createMemoryStore } from '@auth/storage-memory'
import { build } from 'esbuild'
import Fastify, { type FastifyInstance } from 'fastify'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  console.warn(`[skip] @auth/client browser test: no Chromium at ${CHROMIUM}; CI installs it and fails on skips`)
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>client</title>
<script type="module">
  import { createAuthClient } from '/client.js'
  const auth = createAuthClient({ baseUrl: location.origin, transport: 'cookie', channel: 'tabs' })
  const events = []
  auth.on((event) => events.push(event))
  window.t = {
    auth,
    events,
    async login() {
      const response = await fetch('/login', { method: 'POST' })
      await auth.signedIn(await response.json())
      return response.status
    },
    me: async () => (await auth.fetch('/me')).status,
  }
</script>`

describe.skipIf(!haveChromium)('@auth/client in Chromium, cookie transport over HTTPS', () => {
  let app: FastifyInstance
  let browser: Browser
  let url: string
  const events: AuthEvent[] = []

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    })
    const clientJs = bundle.outputFiles[0]?.text as string
    const engine = createEngine({
      store: createMemoryStore(),
      issuer: 'https://127.0.0.1',
      audience: 'api',
      secret: TEST_SECRET,
      policy: { graceBinding: 'user_agent', accessTtl: '5m' },
      onEvent: (event) => events.push(event),
    })
    app = Fastify({ https: await selfSignedCertificate() })
    await app.register(authPlugin, { engine, transport: 'cookie' })
    app.get('/', async (_request, reply) => reply.type('text/html').send(PAGE))
    app.get('/client.js', async (_request, reply) => reply.type('text/javascript').send(clientJs))
    app.post('/login', async (_request, reply) => reply.login('alice'))
    app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({ sub: request.auth?.sub }))
    url = await app.listen({ port: 0, host: '127.0.0.1' })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--ignore-certificate-errors', '--no-sandbox'] })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('two tabs: one refresh serves both after the clock jumps; a logout in one signs the other out, cookies gone', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    const [a, b] = [await context.newPage(), await context.newPage()]
    for (const page of [a, b]) {
      await page.clock.install()
      await page.goto(url)
      await page.waitForFunction(() => 't' in window)
    }
    type T = {
      t: {
        login(): Promise<number>
        me(): Promise<number>
        auth: { signedInNow(): boolean; logout(): Promise<void> }
        events: unknown[]
      }
    }
    expect(await a.evaluate(() => (window as unknown as T).t.login())).toBe(200)
    // Tab B learned the session from tab A over the BroadcastChannel.
    await b.waitForFunction(() => (window as unknown as T).t.auth.signedInNow())
    expect(await b.evaluate(() => (window as unknown as T).t.me())).toBe(200)

    // Both clocks jump past the refresh time: one tab refreshes, the other is told.
    for (const page of [a, b]) await page.clock.fastForward('05:00')
    expect(await a.evaluate(() => (window as unknown as T).t.me())).toBe(200)
    await b.waitForFunction(() =>
      (window as unknown as T).t.events.some((e) => (e as { type: string }).type === 'refreshed'),
    )
    expect(await b.evaluate(() => (window as unknown as T).t.me())).toBe(200)
    expect(events.filter((e) => e.type === 'rotated')).toHaveLength(1)

    // A logout in tab A: tab B is signed out within 1 s, and the browser holds no session cookie.
    await a.evaluate(() => (window as unknown as T).t.auth.logout())
    await b.waitForFunction(() => !(window as unknown as T).t.auth.signedInNow(), undefined, { timeout: 1_000 })
    const cookies = await context.cookies()
    expect(cookies.filter((c) => /access_token|refresh_token/.test(c.name) && c.value !== '')).toEqual([])
    expect(await b.evaluate(() => (window as unknown as T).t.me())).toBe(401)
    await context.close()
  }, 60_000)
})
