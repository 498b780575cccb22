// The browser proofs of @auth/client (issue 13) on the example apps' page, which runs on the
// client: many tabs of one browser, with time driven by playwright's clock in the pages and by one
// manual clock on the server, moved together, so ten access lifetimes take seconds and nothing
// waits for real time. On the Fastify example all of them; on Express and Hono a two-tab smoke
// test. Registered from browser.test.ts, so every browser suite runs in one file, one after another.
import { request as httpsRequest } from 'node:https'
import { type AuthEvent, createEngine, type Engine } from '@auth/core'
import { createManualClock, type ManualClock } from '@auth/core/testing'
import type { ExampleServer, TlsFiles } from '@auth/example-common'
import { createMemoryStore } from '@auth/storage-memory'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AdapterName } from '../src/demo.js'

const SECOND = 1000
const ACCESS_TTL = 5 * 60 * SECOND
/** The client refreshes this long before expiry (its default margin). */
const MARGIN = 30 * SECOND
const GRACE = 10 * SECOND

interface Outcome {
  status: number
  code: string | null
}
interface ClientEvent {
  type: string
  reason?: string
}
/** What the page exposes as `window.demo` (examples/common/public/app.js). */
interface PageDemo {
  auth: { signedInNow(): boolean; fetch(input: string, init?: RequestInit): Promise<Response> }
  events: ClientEvent[]
  requests: { method: string; path: string; status: number; code: string | null }[]
  refresh(): Promise<{ ok: boolean; code?: string; reason?: string }>
  logout(all: boolean): Promise<unknown>
  api(method: string, path: string): Promise<Outcome>
}
type DemoWindow = typeof window & { demo: PageDemo }

/**
 * A one-shot hold on the next refresh at the server: `before` the engine sees it (the request is
 * "on the wire"), or `after` it has rotated (the answer is on its way back).
 */
interface Hold {
  readonly phase: 'before' | 'after'
  /** Resolves when a refresh is held. */
  readonly reached: Promise<void>
  /** Resolves when the held refresh has been decided by the engine. */
  readonly finished: Promise<void>
  release(): void
}
interface ArmedHold extends Hold {
  take(): void
  finish(): void
  readonly released: Promise<void>
}

function createHold(phase: Hold['phase']): ArmedHold {
  let take = () => {}
  let release = () => {}
  const reached = new Promise<void>((resolve) => {
    take = resolve
  })
  const released = new Promise<void>((resolve) => {
    release = resolve
    setTimeout(resolve, 20_000) // never left hanging
  })
  let finish = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  return { phase, reached, released, finished, take: () => take(), finish: () => finish(), release: () => release() }
}

/** POSTs to `url` from outside the browser (Node), trusting the test's self-signed certificate. */
function postFromOutside(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: 'POST', headers, rejectUnauthorized: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    request.on('error', reject)
    request.end()
  })
}

function pageDemo(page: Page) {
  return {
    api: (method: string, path: string) =>
      page.evaluate(([m, p]) => (window as DemoWindow).demo.api(m as string, p as string), [method, path] as const),
    signedIn: () => page.evaluate(() => (window as DemoWindow).demo.auth.signedInNow()),
    events: () => page.evaluate(() => (window as DemoWindow).demo.events),
  }
}

async function statusText(page: Page, text: string): Promise<void> {
  await page.waitForFunction((want) => document.getElementById('status')?.textContent === want, text, {
    timeout: 10_000,
    polling: 50,
  })
}

/** Rejects after `ms` of real time: "the others carry on within one request timeout". */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)),
  ])
}

export function describeManyTabs(browser: () => Browser, tls: () => TlsFiles): void {
  function harness(adapter: AdapterName) {
    const h = {
      app: null as ExampleServer | null,
      clock: null as ManualClock | null,
      events: [] as AuthEvent[],
      hold: null as ArmedHold | null,
      contexts: [] as BrowserContext[],
    }

    beforeAll(async () => {
      const clock = createManualClock(Date.now())
      h.clock = clock
      const real = createEngine({
        store: createMemoryStore({ clock }),
        clock,
        issuer: 'https://127.0.0.1',
        audience: 'example-api',
        secret: '42oX8WxaC/Kr/ySMmzQF88qJF94PBtMRgaeR992wgaA=',
        policy: { accessTtl: ACCESS_TTL / SECOND, reuseGrace: GRACE / SECOND },
        onEvent: (event) => h.events.push(event),
      })
      const engine: Engine = Object.create(real, {
        refresh: {
          value: async (...args: Parameters<Engine['refresh']>) => {
            const hold = h.hold
            h.hold = null
            if (hold?.phase === 'before') {
              hold.take()
              await hold.released
            }
            const result = await real.refresh(...args).finally(() => hold?.finish())
            if (hold?.phase === 'after') {
              hold.take()
              await hold.released
            }
            return result
          },
        },
      })
      h.app = await ADAPTERS[adapter]({ engine, transport: 'cookie', tls: tls() })
    })
    afterAll(async () => {
      await h.app?.close()
    })
    afterEach(async () => {
      h.hold?.release()
      h.hold = null
      for (const context of h.contexts.splice(0)) await context.close()
    })

    /** Arms a hold on the next refresh. */
    function holdNext(phase: Hold['phase']): Hold {
      h.hold = createHold(phase)
      return h.hold
    }

    /** `count` tabs of one new browser context, with playwright's clock installed in all of them. */
    async function tabs(count: number): Promise<{ context: BrowserContext; pages: Page[] }> {
      const context = await browser().newContext({ ignoreHTTPSErrors: true })
      h.contexts.push(context)
      await context.clock.install()
      const pages: Page[] = []
      for (let i = 0; i < count; i++) pages.push(await context.newPage())
      return { context, pages }
    }

    /** Logs in through the form in the first tab; the others open the app and find the session. */
    async function signIn(pages: Page[], username: string): Promise<string> {
      const [first, ...rest] = pages as [Page, ...Page[]]
      await first.goto(`${h.app?.url}/`)
      await statusText(first, 'signed out')
      await first.fill('#username', username)
      await first.click('#login')
      await statusText(first, `signed in as ${username}`)
      for (const page of rest) {
        await page.goto(`${h.app?.url}/`)
        await statusText(page, `signed in as ${username}`)
      }
      // The page lists the sessions once signed in: let that request land before the test counts any.
      for (const page of pages) await page.waitForSelector('#sessions li')
      const family = h.events.findLast((e) => e.type === 'issued' && e.subject === username)?.familyId
      expect(family).toBeDefined()
      return family as string
    }

    /** Moves the server's clock and every page's clock of `context` on by `ms`, together. */
    async function advance(context: BrowserContext, ms: number): Promise<void> {
      h.clock?.advance(ms)
      await context.clock.fastForward(ms)
    }

    const ofFamily = (family: string, type: AuthEvent['type']) =>
      h.events.filter((e) => e.familyId === family && e.type === type).length

    /** Three signed-in tabs, the clocks at the refresh time, and tab `held`'s refresh waiting at the server. */
    async function oneRefreshHeld(username: string, held: 0 | 1 | 2) {
      const { context, pages } = await tabs(3)
      const family = await signIn(pages, username)
      const hold = holdNext('before')
      await advance(context, ACCESS_TTL - MARGIN + SECOND)
      const pending = pageDemo(pages[held] as Page)
        .api('GET', '/api/me')
        .catch(() => 'gone' as const)
      await hold.reached
      return { context, pages: pages as [Page, Page, Page], family, hold, pending }
    }

    return { h, holdNext, tabs, signIn, advance, ofFamily, oneRefreshHeld }
  }

  describe('@auth/client on the fastify example: many tabs, page clock', () => {
    const { h, holdNext, tabs, signIn, advance, ofFamily, oneRefreshHeld } = harness('fastify')

    it('3 tabs through 10 access lifetimes (30 s steps): no sign-out, no 401 reaches the app, rotations ≤ lifetimes + tabs', async () => {
      const { context, pages } = await tabs(3)
      const family = await signIn(pages, 'tabs')
      const lifetimes = 10
      const steps = (lifetimes * ACCESS_TTL) / (30 * SECOND)
      const outcomes: Outcome[] = []
      for (let step = 0; step < steps; step++) {
        await advance(context, 30 * SECOND)
        const answers = await Promise.all(
          pages.map((page) =>
            page.evaluate(async () => {
              const { demo } = window as DemoWindow
              return Promise.all([demo.api('GET', '/api/me'), demo.api('POST', '/api/hello')])
            }),
          ),
        )
        outcomes.push(...answers.flat())
      }
      expect(outcomes).toHaveLength(steps * 3 * 2)
      expect(outcomes.filter((o) => o.status !== 200)).toEqual([])
      for (const page of pages) {
        expect((await pageDemo(page).events()).filter((e) => e.type === 'signed_out')).toEqual([])
      }
      const rotations = ofFamily(family, 'rotated')
      console.log(
        `[many tabs] ${rotations} rotations, ${ofFamily(family, 'replayed')} grace replays in ${lifetimes} lifetimes`,
      )
      expect(rotations).toBeGreaterThanOrEqual(lifetimes)
      expect(rotations).toBeLessThanOrEqual(lifetimes + pages.length)
      expect(ofFamily(family, 'reuse_detected')).toBe(0)
    })

    it('a tab reloaded while its refresh is held at the server: no other tab stalls, it recovers on its next load', async () => {
      // Tab A's refresh reaches the server and waits there.
      const { pages, family, hold, pending: stuck } = await oneRefreshHeld('reload', 0)
      const [a, b, c] = pages
      // The other tabs do not wait for it: each refreshes (or is told) and gets its answer.
      const others = await within(
        10_000,
        Promise.all([pageDemo(b).api('GET', '/api/me'), pageDemo(c).api('GET', '/api/me')]),
      )
      expect(others.map((o) => o.status)).toEqual([200, 200])
      // Reload A with its refresh still held, then let the held refresh finish into the void.
      await a.reload()
      hold.release()
      await hold.finished
      expect(await stuck).toBe('gone')
      await statusText(a, 'signed in as reload')
      expect((await pageDemo(a).api('POST', '/api/hello')).status).toBe(200)
      expect(ofFamily(family, 'reuse_detected')).toBe(0)
      expect(ofFamily(family, 'revoked')).toBe(0)
    })

    it('two clients in one tab (React Strict Mode mounts twice), 5 lifetimes: one client’s worth of refreshes', async () => {
      const { context, pages } = await tabs(1)
      const page = pages[0] as Page
      const family = await signIn(pages, 'strict')
      // The second mount: the same module (one per page), a second client. A string, so that the
      // test runner does not rewrite the page's dynamic import.
      await page.evaluate(
        "import('/auth-client.js').then(({ createAuthClient }) => { window.second = createAuthClient({ baseUrl: location.origin }) })",
      )
      const lifetimes = 5
      for (let step = 0; step < (lifetimes * ACCESS_TTL) / (30 * SECOND); step++) {
        await advance(context, 30 * SECOND)
        const statuses = await page.evaluate(async () => {
          const { demo } = window as DemoWindow
          const second = (window as unknown as { second: PageDemo['auth'] }).second
          return Promise.all([
            demo.api('GET', '/api/me').then((o) => o.status),
            second.fetch('/api/me').then((r) => r.status),
          ])
        })
        expect(statuses).toEqual([200, 200])
      }
      // Every refresh request the server saw: rotations and grace replays alike.
      const refreshes = ofFamily(family, 'rotated') + ofFamily(family, 'replayed')
      expect(refreshes).toBeGreaterThanOrEqual(lifetimes)
      expect(refreshes).toBeLessThanOrEqual(lifetimes + 1)
    })

    it('sleep and wake: the clocks jump past expiry; the first request refreshes first and succeeds', async () => {
      const { context, pages } = await tabs(1)
      const page = pages[0] as Page
      const family = await signIn(pages, 'sleeper')
      const mark = await page.evaluate(() => (window as DemoWindow).demo.requests.length)
      await advance(context, 2 * 60 * 60 * SECOND) // two hours asleep: the access token is long dead
      expect((await pageDemo(page).api('GET', '/api/me')).status).toBe(200)
      const after = await page.evaluate((m) => (window as DemoWindow).demo.requests.slice(m), mark)
      expect(after.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'POST /auth/refresh 200',
        'GET /api/me 200',
      ])
      expect(ofFamily(family, 'rotated')).toBe(1)
    })

    it('logout in one tab: every tab is out within 1 s, and a refresh landing after it brings nothing back', async () => {
      const { context, pages } = await tabs(3)
      const [a, b, c] = pages as [Page, Page, Page]
      const family = await signIn(pages, 'leaver')
      // Tab B's refresh rotates at the server; its answer is held on the way back.
      const hold = holdNext('after')
      await advance(context, ACCESS_TTL - MARGIN + SECOND)
      const late = pageDemo(b).api('GET', '/api/me')
      await hold.reached
      expect(ofFamily(family, 'rotated')).toBe(1)
      await a.evaluate(() => (window as DemoWindow).demo.logout(false))
      for (const page of pages) {
        await page.waitForFunction(() => !(window as DemoWindow).demo.auth.signedInNow(), undefined, { timeout: 1_000 })
      }
      // The late answer lands: its Set-Cookie is stored by the browser, so the client logs out again.
      hold.release()
      expect((await late).status).toBe(401)
      await b.waitForFunction(
        () => (window as DemoWindow).demo.requests.filter((r) => r.path === '/auth/logout').length > 0,
      )
      await expect
        .poll(async () => (await context.cookies()).filter((cookie) => /access_token|refresh_token/.test(cookie.name)))
        .toEqual([])
      for (const page of pages) {
        expect(await pageDemo(page).signedIn()).toBe(false)
        expect((await pageDemo(page).api('GET', '/api/me')).status).toBe(401)
        await statusText(page, 'signed out')
      }
      expect(ofFamily(family, 'revoked')).toBe(1)
      expect(h.events.findLast((e) => e.familyId === family && e.type === 'revoked')).toMatchObject({
        reason: 'logout',
      })
      expect(c.isClosed()).toBe(false)
    })

    it('a refresh token stolen and replayed from outside after the grace window: every tab says reuse_detected', async () => {
      const { context, pages } = await tabs(3)
      const family = await signIn(pages, 'victim')
      const stolen = (await context.cookies()).filter((cookie) => /refresh_token|csrf_token/.test(cookie.name))
      const csrf = stolen.find((cookie) => cookie.name.endsWith('csrf_token')) as { name: string; value: string }
      const refreshCookie = stolen.find((cookie) => cookie.name.endsWith('refresh_token'))
      // The honest tabs rotate; then the grace window passes.
      expect(await (pages[0] as Page).evaluate(() => (window as DemoWindow).demo.refresh())).toEqual({ ok: true })
      await advance(context, GRACE + SECOND)
      // The thief replays the spent token from outside the browser.
      const thief = await postFromOutside(`${h.app?.url}/auth/refresh`, {
        cookie: `${refreshCookie?.name}=${refreshCookie?.value}; ${csrf.name}=${csrf.value}`,
        'x-csrf-token': csrf.value,
      })
      expect(thief).toBe(400)
      expect(ofFamily(family, 'reuse_detected')).toBe(1)
      // The next refresh of any honest tab learns it, and every tab is told.
      await advance(context, ACCESS_TTL)
      await pageDemo(pages[1] as Page).api('GET', '/api/me')
      for (const page of pages) {
        await page.waitForFunction(
          () =>
            (window as DemoWindow).demo.events.some((e) => e.type === 'signed_out' && e.reason === 'reuse_detected'),
          undefined,
          { timeout: 1_000 },
        )
        await statusText(page, 'signed out')
      }
    })

    it('a tab closed mid-refresh: the others carry on within one request timeout', async () => {
      const { context, pages, family, hold, pending: gone } = await oneRefreshHeld('closer', 2)
      const [a, b, c] = pages
      await c.close()
      expect(await gone).toBe('gone')
      const others = await within(
        10_000,
        Promise.all([pageDemo(a).api('GET', '/api/me'), pageDemo(b).api('POST', '/api/hello')]),
      )
      expect(others.map((o) => o.status)).toEqual([200, 200])
      // The closed tab's rotation may land with its answer lost. The others deferred to it, so
      // when the browser dropped its lock one of them refreshed at once, inside the grace window:
      // the lost successor comes back as a replay, and the family lives on a lifetime later.
      hold.release()
      await hold.finished
      // One refresh from the others picks the successor up (their backstop, once the lock is free).
      await expect
        .poll(
          async () => {
            await context.clock.runFor(200) // the pages' timers run on the page clock
            return ofFamily(family, 'rotated') + ofFamily(family, 'replayed')
          },
          { timeout: 5_000 },
        )
        .toBeGreaterThanOrEqual(2)
      await advance(context, ACCESS_TTL)
      const last = await pageDemo(a).api('GET', '/api/me')
      expect(last.status).toBe(200)
      expect((await pageDemo(b).api('POST', '/api/hello')).status).toBe(200)
      expect(ofFamily(family, 'reuse_detected')).toBe(0)
      expect(ofFamily(family, 'revoked')).toBe(0)
    })
  })

  describe.each(['express', 'hono'] as const)('@auth/client on the %s example: two-tab smoke test', (adapter) => {
    const { tabs, signIn, advance, ofFamily } = harness(adapter)

    it('one refresh serves both tabs after the clocks jump; a logout in one signs the other out, cookies gone', async () => {
      const { context, pages } = await tabs(2)
      const [a, b] = pages as [Page, Page]
      const family = await signIn(pages, 'smoke')
      await advance(context, ACCESS_TTL - MARGIN + SECOND)
      expect((await pageDemo(a).api('GET', '/api/me')).status).toBe(200)
      await b.waitForFunction(() => (window as DemoWindow).demo.events.some((e) => e.type === 'refreshed'))
      expect((await pageDemo(b).api('POST', '/api/hello')).status).toBe(200)
      expect(ofFamily(family, 'rotated')).toBe(1)
      await a.evaluate(() => (window as DemoWindow).demo.logout(false))
      await b.waitForFunction(() => !(window as DemoWindow).demo.auth.signedInNow(), undefined, { timeout: 1_000 })
      expect((await context.cookies()).filter((cookie) => /access_token|refresh_token/.test(cookie.name))).toEqual([])
      expect((await pageDemo(b).api('GET', '/api/me')).status).toBe(401)
    })
  })
}
