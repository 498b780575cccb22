// Cookie mode in a real browser: Debian's Chromium, driven through playwright-core, against each
// example app served over HTTPS with a certificate made at start-up, so the browser keeps the
// real `Secure`, `__Host-` and `__Secure-` cookies. Never downloads a browser: without Chromium
// at CHROMIUM_PATH (default /usr/bin/chromium) the suite is skipped with a printed reason, and
// CI (AUTH_FAIL_ON_SKIP=1) fails on that skip. Screenshots land in artifacts/browser/.
import { existsSync, mkdirSync } from 'node:fs'
import { type AuthEvent, createEngine, type Engine } from '@auth/core'
import { type ExampleServer, selfSignedCertificate, type TlsFiles } from '@auth/example-common'
import { createMemoryStore } from '@auth/storage-memory'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ADAPTERS, type AdapterName } from '../src/demo.js'
import { describeDpopBrowser } from './dpop-browser.js'
import { describeManyTabs } from './many-tabs.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  console.warn(
    `[skip] browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); CI installs it and fails on skips`,
  )
}

const SHOTS = new URL('../../../artifacts/browser/', import.meta.url).pathname
/**
 * A one-second grace window, so the stolen-cookie step waits one second. The access TTL is long
 * enough that no token expires mid-test on a busy machine (nothing here waits for it).
 */
const POLICY = { accessTtl: 60, reuseGrace: 1, leeway: 0 } as const
const GRACE_MS = POLICY.reuseGrace * 1000

/** What the page exposes as `window.demo` (examples/common/public/app.js). */
interface Outcome {
  status: number
  code: string | null
  body: Record<string, unknown> | null
}
/** What `@auth/client`'s refresh answers. */
type RefreshOutcome = { ok: true } | { ok: false; code: string; reason?: string }
interface PageDemo {
  refresh(): Promise<RefreshOutcome>
  loadMe(): Promise<Outcome>
  callApi(): Promise<Outcome>
  loadSessions(): Promise<Outcome>
}
type DemoWindow = typeof window & { demo: PageDemo }

/** A barrier: the first `count` callers of `arrive()` wait until all of them have arrived (at most 10 s). */
interface Gate {
  arrive(): Promise<void>
  readonly arrived: number
}
function createGate(count: number): Gate {
  let arrived = 0
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  const timer = setTimeout(open, 10_000)
  return {
    get arrived() {
      return arrived
    },
    arrive() {
      arrived++
      if (arrived >= count) {
        clearTimeout(timer)
        open()
      }
      return opened
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function statusText(page: Page, text: string): Promise<void> {
  await page.waitForFunction((want) => document.getElementById('status')?.textContent === want, text, {
    timeout: 10_000,
    polling: 50,
  })
}

describe.skipIf(!haveChromium)('cookie mode in Chromium', () => {
  let browser: Browser
  let tls: TlsFiles
  // Two browsers' worth of tabs, made once (a new tab costs a renderer process, about a second on
  // a busy machine) and emptied of cookies before every test: `one` has two tabs, `other` one.
  let one: BrowserContext
  let other: BrowserContext
  let tab1: Page
  let tab2: Page
  let otherTab: Page

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    tls = await selfSignedCertificate()
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--ignore-certificate-errors',
      ],
    })
    one = await browser.newContext({ ignoreHTTPSErrors: true })
    other = await browser.newContext({ ignoreHTTPSErrors: true })
    ;[tab1, tab2, otherTab] = await Promise.all([one.newPage(), one.newPage(), other.newPage()])
  })

  afterAll(async () => {
    await browser?.close()
  })

  describe.each(Object.keys(ADAPTERS) as AdapterName[])('the %s example', (adapter) => {
    let app: ExampleServer
    const events: AuthEvent[] = []
    let gate: Gate | null = null

    beforeAll(async () => {
      const real = createEngine({
        store: createMemoryStore(),
        issuer: 'https://127.0.0.1',
        audience: 'example-api',
        secret: '42oX8WxaC/Kr/ySMmzQF88qJF94PBtMRgaeR992wgaA=',
        policy: POLICY,
        claims: (family) => ({ role: family.subject === 'admin' ? 'admin' : 'member' }),
        onEvent: (event) => events.push(event),
      })
      // The same engine, except that while a gate is armed, refreshes wait at the server until
      // the gate's count has arrived: "the same moment", made exact on a machine of any speed.
      const engine: Engine = Object.create(real, {
        refresh: {
          value: async (...args: Parameters<Engine['refresh']>) => {
            await gate?.arrive()
            return real.refresh(...args)
          },
        },
      })
      app = await ADAPTERS[adapter]({ engine, transport: 'cookie', tls })
    })

    afterAll(async () => {
      await app?.close()
    })

    beforeEach(async () => {
      await Promise.all([one.clearCookies(), other.clearCookies()])
    })

    /** Opens the app in `page` and logs in through the form as `username`. */
    async function logIn(page: Page, username: string): Promise<Page> {
      await page.goto(`${app.url}/`)
      await statusText(page, 'signed out')
      await page.fill('#username', username)
      await page.click('#login')
      await statusText(page, `signed in as ${username}`)
      return page
    }

    const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${adapter}-${name}.png` })
    const familyOf = (sub: string) => events.findLast((e) => e.type === 'issued' && e.subject === sub)?.familyId

    it('logs in; the browser stores HttpOnly, Secure, prefixed cookies and the page sees only the CSRF one', async () => {
      const page = await logIn(tab1, 'alice')
      const cookies = await one.cookies()
      const byName = Object.fromEntries(cookies.map((c) => [c.name, c]))
      expect(Object.keys(byName).sort()).toEqual(['__Host-access_token', '__Host-csrf_token', '__Secure-refresh_token'])
      expect(byName['__Host-access_token']).toMatchObject({
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
      })
      expect(byName['__Secure-refresh_token']).toMatchObject({
        domain: '127.0.0.1',
        path: '/auth',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
      })
      expect(byName['__Host-csrf_token']).toMatchObject({
        domain: '127.0.0.1',
        path: '/',
        httpOnly: false,
        secure: true,
        sameSite: 'Lax',
      })
      // The page's JavaScript sees the CSRF cookie and nothing else.
      expect(await page.evaluate(() => document.cookie)).toBe(`__Host-csrf_token=${byName['__Host-csrf_token']?.value}`)

      const claims = JSON.parse((await page.textContent('#claims')) ?? '{}') as Record<string, unknown>
      expect(claims).toMatchObject({ sub: 'alice', role: 'member', iss: 'https://127.0.0.1', aud: 'example-api' })
      expect(claims.sid).toBe(familyOf('alice'))

      await page.click('#call-api')
      await page.waitForFunction(() => document.getElementById('api-result')?.textContent?.startsWith('hello, alice'))
      await page.waitForSelector('#sessions li')
      expect(await page.locator('#sessions li').count()).toBe(1)
      await shot(page, '1-logged-in')

      await page.click('#logout')
      await statusText(page, 'signed out')
      expect(await one.cookies()).toEqual([])
      expect(events.findLast((e) => e.familyId === claims.sid)).toMatchObject({ type: 'revoked', reason: 'logout' })
    })

    it('two tabs refreshing at the same moment: the clients send one refresh; raw requests replay inside the grace window', async () => {
      const first = await logIn(tab1, 'carol')
      const second = tab2
      await second.goto(`${app.url}/`)
      await statusText(second, 'signed in as carol')
      const family = familyOf('carol')
      let mark = events.length

      // The page's client: one tab refreshes, the other hears of it (one refresh at a time in cookie mode).
      const fire = (page: Page) => page.evaluate(() => (window as DemoWindow).demo.refresh())
      expect(await Promise.all([fire(first), fire(second)])).toEqual([{ ok: true }, { ok: true }])
      expect(
        events
          .slice(mark)
          .filter((e) => e.familyId === family)
          .map((e) => e.type),
      ).toEqual(['rotated'])

      // Two raw requests with the same cookie: the server holds the first until the second has
      // arrived, so both carry one generation and reach the engine at the same moment.
      mark = events.length
      gate = createGate(2)
      const raw = (page: Page) =>
        page.evaluate(async () => {
          const csrf = /__Host-csrf_token=([^;]+)/.exec(document.cookie)?.[1] ?? ''
          const response = await fetch('/auth/refresh', { method: 'POST', headers: { 'x-csrf-token': csrf } })
          return response.status
        })
      const [a, b] = await Promise.all([raw(first), raw(second)])
      expect(gate.arrived).toBe(2)
      gate = null
      expect([a, b]).toEqual([200, 200])
      const seen = events.slice(mark).filter((e) => e.familyId === family)
      expect(seen.map((e) => e.type).sort()).toEqual(['replayed', 'rotated'])

      // Both are still in, and the family did not fork: one more rotation works from either tab.
      for (const page of [first, second]) {
        expect((await page.evaluate(() => (window as DemoWindow).demo.loadMe())).status).toBe(200)
      }
      const next = await second.evaluate(() => (window as DemoWindow).demo.refresh())
      expect(next).toEqual({ ok: true })
      expect(events.findLast((e) => e.familyId === family)).toMatchObject({ type: 'rotated', generation: 3 })
      expect((await first.evaluate(() => (window as DemoWindow).demo.callApi())).status).toBe(200)
      await shot(second, '2-two-tabs')
    })

    it('a stolen refresh cookie replayed after the window logs the family out everywhere', async () => {
      const honest = one
      const page = await logIn(tab1, 'dave')
      const family = familyOf('dave')

      // The thief copies the refresh cookie (and the CSRF cookie the page would echo) into another browser.
      const stolen = (await honest.cookies()).filter((c) => c.name !== '__Host-access_token')
      expect(stolen.map((c) => c.name).sort()).toEqual(['__Host-csrf_token', '__Secure-refresh_token'])
      const thief = other
      await thief.addCookies(stolen)

      // The honest tab rotates; the stolen generation 0 is now spent.
      expect(await page.evaluate(() => (window as DemoWindow).demo.refresh())).toEqual({ ok: true })
      await sleep(GRACE_MS + 300)

      // The thief opens the app: a CSRF cookie and nothing stored, so the page's client refreshes
      // with the stolen cookie before its first request.
      const mark = events.length
      const thiefPage = otherTab
      await thiefPage.goto(`${app.url}/`)
      await statusText(thiefPage, 'signed out')
      expect(await thiefPage.textContent('#signed-out-reason')).toContain('reuse_detected')
      const seen = events.slice(mark).filter((e) => e.familyId === family)
      expect(seen).toEqual([
        expect.objectContaining({ type: 'reuse_detected', presentedGeneration: 0, currentGeneration: 1 }),
        expect.objectContaining({ type: 'revoked', reason: 'reuse_detected' }),
      ])
      expect(await thief.cookies()).toEqual([])
      await shot(thiefPage, '3-thief-refused')

      // The honest tab's next refresh fails too, saying why, and the dead cookies are deleted.
      const again = await page.evaluate(() => (window as DemoWindow).demo.refresh())
      expect(again).toEqual({ ok: false, code: 'signed_out', reason: 'reuse_detected' })
      expect(await honest.cookies()).toEqual([])
      const me = await page.evaluate(() => (window as DemoWindow).demo.loadMe())
      expect(me.status).not.toBe(200)
      await statusText(page, 'signed out')
      expect(await page.textContent('#signed-out-reason')).toContain('reuse_detected')
      await shot(page, '3-honest-logged-out')
    })

    it('refuses a missing or wrong CSRF header with 403, and changes nothing', async () => {
      const page = await logIn(tab1, 'erin')
      const family = familyOf('erin')
      const mark = events.length
      const bare = (path: string, csrf?: string) =>
        page.evaluate(
          async ([p, token]) => {
            const response = await fetch(p as string, {
              method: 'POST',
              credentials: 'same-origin',
              headers: token === undefined ? {} : { 'x-csrf-token': token },
            })
            return { status: response.status, body: (await response.json()) as Record<string, unknown> }
          },
          [path, csrf] as const,
        )

      for (const path of ['/api/hello', '/auth/refresh', '/auth/logout', '/auth/logout-all']) {
        const missing = await bare(path)
        expect(missing.status, path).toBe(403)
        expect(missing.body).toMatchObject({ code: 'ERR_CSRF' })
        const wrong = await bare(path, 'A'.repeat(43))
        expect(wrong.status, path).toBe(403)
      }
      expect(events.slice(mark).filter((e) => e.familyId === family)).toEqual([])

      // The page's own requests carry the header and pass.
      expect((await page.evaluate(() => (window as DemoWindow).demo.callApi())).status).toBe(200)
      expect(await page.evaluate(() => (window as DemoWindow).demo.refresh())).toEqual({ ok: true })
      await shot(page, '4-csrf')
    })

    it('lists sessions and revokes another one of your own', async () => {
      const laptop = await logIn(tab1, 'frank')
      const phone = await logIn(otherTab, 'frank')
      const phoneFamily = familyOf('frank')
      await laptop.evaluate(() => (window as DemoWindow).demo.loadSessions())
      await laptop.waitForFunction(() => document.querySelectorAll('#sessions li').length === 2)
      await shot(laptop, '5-sessions')

      await laptop.click(`#sessions li[data-id="${phoneFamily}"] button`)
      await laptop.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1)
      expect(events.findLast((e) => e.familyId === phoneFamily)).toMatchObject({ type: 'revoked', reason: 'logout' })
      const refused = await phone.evaluate(() => (window as DemoWindow).demo.refresh())
      expect(refused).toEqual({ ok: false, code: 'signed_out', reason: 'logout' })
      expect((await laptop.evaluate(() => (window as DemoWindow).demo.callApi())).status).toBe(200)
    })
  })

  describeManyTabs(
    () => browser,
    () => tls,
  )
  describeDpopBrowser(
    () => browser,
    () => tls,
  )
})
