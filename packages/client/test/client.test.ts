// @auth/client against a real server (Fastify + @auth/fastify, bearer transport) on 127.0.0.1,
// with one manual clock for the server and the client: expiry, single flight, two "tabs" sharing
// one BroadcastChannel, the commit guard, reuse detection, network failures, and the size budget.
import { gzipSync } from 'node:zlib'
import { type AuthEvent, createEngine } from '@auth/core'
import { createManualClock, type ManualClock, TEST_SECRET } from '@auth/core/testing'
import { authPlugin } from '@auth/fastify'
import { createMemoryStore } from '@auth/storage-memory'
import { build } from 'esbuild'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AuthClientEvent, createAuthClient } from '../src/index.js'

const MINUTE = 60_000
let clock: ManualClock
let events: AuthEvent[]
let app: FastifyInstance
let baseUrl: string
const clients: { close(): void }[] = []

/** The auth server under test on the shared clock, with `graceBinding` as given. */
async function startServer(graceBinding: 'none' | 'device_id') {
  events = []
  const engine = createEngine({
    store: createMemoryStore({ clock }),
    clock,
    issuer: 'https://client.test',
    audience: 'api',
    secret: TEST_SECRET,
    policy: { graceBinding, accessTtl: '5m' },
    onEvent: (event) => events.push(event),
  })
  app = Fastify()
  await app.register(authPlugin, { engine })
  app.post('/login', async (request, reply) => reply.login((request.body as { username: string }).username))
  app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({ sub: request.auth?.sub }))
  app.post('/echo', { preHandler: app.requireAuth() }, async (request) => ({ got: request.body }))
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
}

beforeEach(async () => {
  clock = createManualClock()
  await startServer('none')
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await app.close()
})

const count = (type: AuthEvent['type']) => events.filter((e) => e.type === type).length

async function loggedIn(extra: Partial<Parameters<typeof createAuthClient>[0]> = {}) {
  const client = createAuthClient({ baseUrl, transport: 'bearer', now: clock.now, channel: false, ...extra })
  clients.push(client)
  const login = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice' }),
  })
  const body = await login.json()
  await client.signedIn(body)
  return { client, body: body as { refresh_token: string } }
}

describe('@auth/client, bearer transport, against a real server', () => {
  it('adds the token for its origin only, and refreshes before expiry (by the time the answer came, not the JWT)', async () => {
    const seen: Headers[] = []
    const { client } = await loggedIn({
      fetch: (input, init) => {
        seen.push(new Headers(init?.headers))
        return fetch(input, init)
      },
    })
    expect((await (await client.fetch(`${baseUrl}/me`)).json()).sub).toBe('alice')
    expect(seen.at(-1)?.get('authorization')).toMatch(/^Bearer /)
    await client.fetch('http://127.0.0.2:9/elsewhere').catch(() => undefined)
    expect(seen.at(-1)?.get('authorization')).toBeNull()
    clock.advance(5 * MINUTE)
    expect((await client.fetch(`${baseUrl}/me`)).status).toBe(200)
    expect(count('rotated')).toBe(1)
  })

  it('wake() (React Native: AppState active) refreshes once the due time has passed, and not before', async () => {
    const { client } = await loggedIn()
    client.wake()
    clock.advance(MINUTE)
    client.wake()
    expect(count('rotated')).toBe(0)
    clock.advance(4 * MINUTE)
    client.wake()
    client.wake()
    await expect.poll(() => count('rotated')).toBe(1)
    expect(client.signedInNow()).toBe(true)
  })

  it('on a 401 for an expired token it refreshes once and retries once, even when the client clock lags', async () => {
    let lag = 0
    const { client } = await loggedIn({ now: () => clock.now() - lag })
    lag = 20 * MINUTE
    clock.advance(10 * MINUTE)
    const response = await client.fetch(`${baseUrl}/echo`, {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ got: { a: 1 } })
    expect(count('rotated')).toBe(1)
  })

  it('ten requests after expiry share one refresh (single flight)', async () => {
    const { client } = await loggedIn()
    clock.advance(6 * MINUTE)
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => client.fetch(`${baseUrl}/me`).then((r) => r.status)),
    )
    expect(statuses).toEqual(Array(10).fill(200))
    expect(count('rotated')).toBe(1)
    expect(count('replayed')).toBe(0)
  })

  it('two tabs share one refresh and one sign-out over the BroadcastChannel', async () => {
    const channel = `tabs-${Math.random()}`
    const { client: a, body } = await loggedIn({ channel })
    const b = createAuthClient({ baseUrl, transport: 'bearer', now: clock.now, channel })
    clients.push(b)
    await b.signedIn(body)
    const seen: AuthClientEvent[] = []
    b.on((event) => seen.push(event))
    clock.advance(6 * MINUTE)
    expect((await a.fetch(`${baseUrl}/me`)).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toContainEqual({ type: 'refreshed' })
    expect((await b.fetch(`${baseUrl}/me`)).status).toBe(200)
    expect(count('rotated')).toBe(1)
    await a.logout()
    const started = performance.now()
    while (b.signedInNow() && performance.now() - started < 1000) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(b.signedInNow()).toBe(false)
    expect(seen).toContainEqual({ type: 'signed_out', reason: 'logout' })
  })

  it('the commit guard: a refresh that lands after logout writes nothing back', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const { client } = await loggedIn({
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        if (String(input).endsWith('/auth/refresh')) await gate
        return response
      },
    })
    const refreshing = client.refresh()
    await client.logout()
    release()
    expect(await refreshing).toEqual({ ok: false, code: 'signed_out', reason: 'logout' })
    expect(client.signedInNow()).toBe(false)
  })

  it('a stolen refresh token replayed after the grace window: the next refresh signs out with reuse_detected', async () => {
    const { client, body } = await loggedIn()
    const seen: AuthClientEvent[] = []
    client.on((event) => seen.push(event))
    expect((await client.refresh()).ok).toBe(true)
    clock.advance(MINUTE)
    const thief = await fetch(`${baseUrl}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: body.refresh_token }),
    })
    expect(thief.status).toBe(400)
    expect(await client.refresh()).toEqual({ ok: false, code: 'signed_out', reason: 'reuse_detected' })
    expect(seen).toContainEqual({ type: 'signed_out', reason: 'reuse_detected' })
  })

  it('a network failure is retryable and never signs the user out', async () => {
    let down = false
    const { client } = await loggedIn({
      fetch: (input, init) => (down ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
    })
    down = true
    expect(await client.refresh()).toEqual({ ok: false, code: 'network', retryable: true })
    expect(client.signedInNow()).toBe(true)
    down = false
    expect((await client.refresh()).ok).toBe(true)
  })

  it('@auth/client/dpop has its own budget: under 1.5 kB minified and gzipped', async () => {
    const gzipped = await gzippedSize('dpop.ts')
    console.log(`[@auth/client/dpop] ${gzipped} bytes minified + gzipped`)
    expect(gzipped).toBeLessThan(1.5 * 1024)
  })

  it('stays small: the core minified and gzipped is under 3 kB', async () => {
    const gzipped = await gzippedSize('index.ts')
    console.log(`[@auth/client] ${gzipped} bytes minified + gzipped`)
    expect(gzipped).toBeLessThan(3 * 1024)
  })
})

/** The size of `src/<entry>` bundled for browsers, minified and gzipped, in bytes. */
async function gzippedSize(entry: string): Promise<number> {
  const result = await build({
    entryPoints: [new URL(`../src/${entry}`, import.meta.url).pathname],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  })
  return gzipSync(result.outputFiles[0]?.contents as Uint8Array).length
}

describe('@auth/client under graceBinding: device_id', () => {
  it('two clients in one tab (Strict Mode mounts twice) share one refresh request', async () => {
    const { client: a, body } = await loggedIn()
    const b = createAuthClient({ baseUrl, transport: 'bearer', now: clock.now, channel: false })
    clients.push(b)
    await b.signedIn(body)
    const [ra, rb] = await Promise.all([a.refresh(), b.refresh(), a.refresh()])
    expect([ra.ok, rb.ok]).toEqual([true, true])
    expect(count('rotated')).toBe(1)
    expect(count('replayed')).toBe(0)
  })

  it('another tab sharing the device id refreshes the same token at once: one rotation and one replay, no reuse', async () => {
    await app.close()
    await startServer('device_id')
    // The first tab to need one made the id; every tab reads it from the origin's shared storage.
    let shared: string | null = crypto.randomUUID()
    const deviceId = {
      get: () => shared,
      set: (id: string) => {
        shared = id
      },
    }
    const { client: a, body } = await loggedIn({ deviceId })
    // The other tab is another realm, so it cannot join this realm's flight: its request is sent
    // as its own client would send it, with the device id both tabs read from shared storage.
    const otherTab = () =>
      fetch(`${baseUrl}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-id': shared as string },
        body: JSON.stringify({ refresh_token: body.refresh_token }),
      })
    const [ra, rb] = await Promise.all([a.refresh(), otherTab()])
    expect([ra.ok, rb.status]).toEqual([true, 200])
    expect(count('rotated')).toBe(1)
    expect(count('replayed')).toBe(1)
    expect(count('reuse_detected')).toBe(0)
  })
})
