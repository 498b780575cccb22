import { type AuthEvent, createEngine, type Engine, type EngineOptions } from '@auth/core'
import { type AuthHttp, type AuthHttpOptions, CSRF_HEADER, createAuthHttp, type Transport } from '@auth/core/http'
import { createManualClock, type ManualClock } from '@auth/core/testing'
import { createMemoryStore } from '@auth/storage-memory'
import { expect } from 'vitest'
import { CookieJar, type Reply, type SendOptions, send } from './client.js'
import type { AdapterUnderTest, RunningApp } from './harness.js'

/** The suite's policy: short enough to step through with the manual clock. Milliseconds in the comments. */
export const POLICY = {
  accessTtl: '10m', // 600_000
  refreshIdleTtl: '1d',
  sessionMaxAge: '30d',
  reuseGrace: '10s', // 10_000
  leeway: '5s', // 5_000
  graceBinding: 'user_agent',
} as const
export const ISSUER = 'https://issuer.conformance.test'
export const AUDIENCE = 'https://api.conformance.test'
export const SECRET = 'HP98tu5n5exNdjpxrSsWjngIh4ZjV9WZT/XszyF4psk='
export const PREFIX = '/auth'

/** One client of the test app: a bearer client holding its tokens, or a browser holding cookies. */
export interface Client {
  readonly username: string
  /** Bearer: the current tokens (updated by a successful `refresh`). Cookie: read from the jar. */
  accessToken: string | undefined
  refreshToken: string | undefined
  readonly jar: CookieJar
  /** The last login or refresh body. */
  tokens: Record<string, unknown>
  /** Calls a route as this client: bearer header, or cookies plus the CSRF header on unsafe methods. */
  call(path: string, options?: SendOptions): Promise<Reply>
  /** POST {prefix}/refresh as this client; on 200 keeps the new tokens. */
  refresh(): Promise<Reply>
  /** A second client holding the same credentials now (another tab, or a thief's copy). */
  copy(): Client
}

/** What every scenario gets: a running app on one adapter and transport, and the hands to drive it. */
export interface SuiteContext {
  readonly adapter: string
  readonly transport: Transport
  readonly url: string
  readonly clock: ManualClock
  readonly engine: Engine
  /** Every event the engine emitted, in order. */
  readonly events: AuthEvent[]
  readonly http: AuthHttp
  /** Any request; every reply is checked to be safe (no 5xx, no stack trace, JSON errors). */
  request(path: string, options?: SendOptions): Promise<Reply>
  /** Any request, unchecked (for paths that are not ours, where the framework answers). */
  raw(path: string, options?: SendOptions): Promise<Reply>
  /** The app's own login route, as `username`. */
  login(username: string): Promise<Client>
  close(): Promise<void>
}

/** Starts one adapter's test app on a fresh memory store, engine and http layer. */
export async function startSuite(
  adapter: AdapterUnderTest,
  transport: Transport,
  httpOptions: Partial<AuthHttpOptions> = {},
  engineOptions: Pick<EngineOptions, 'dpop'> = {},
): Promise<SuiteContext> {
  const clock = createManualClock()
  const events: AuthEvent[] = []
  const engine = createEngine({
    store: createMemoryStore({ clock }),
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: SECRET,
    clock,
    policy: POLICY,
    onEvent: (event) => events.push(event),
    ...engineOptions,
  })
  const http = createAuthHttp({
    engine,
    prefix: PREFIX,
    transport,
    clock,
    // The suite speaks plain HTTP to 127.0.0.1; the cookie names and every other attribute stay the defaults.
    ...(transport === 'cookie' ? { cookies: { secure: false, dangerouslyAllowInsecureCookies: true } } : {}),
    ...httpOptions,
  })
  const app: RunningApp = await adapter.start(http)

  const request = async (path: string, options?: SendOptions) => expectSafe(await send(app.url, path, options))

  const client = (username: string, jar: CookieJar, tokens: Record<string, unknown>): Client => {
    const c: Client = {
      username,
      jar,
      tokens,
      accessToken: typeof tokens.access_token === 'string' ? tokens.access_token : undefined,
      refreshToken: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : undefined,
      call(path, options = {}) {
        if (transport === 'bearer') {
          return request(path, c.accessToken === undefined ? options : { bearer: c.accessToken, ...options })
        }
        const method = options.method ?? (options.json === undefined && options.body === undefined ? 'GET' : 'POST')
        const csrf = jar.get('csrf_token')
        const headers =
          method === 'GET' || csrf === undefined ? options.headers : { [CSRF_HEADER]: csrf, ...options.headers }
        return request(path, { jar, ...options, ...(headers ? { headers } : {}) })
      },
      async refresh() {
        const reply =
          transport === 'bearer'
            ? await request(`${PREFIX}/refresh`, { json: { refresh_token: c.refreshToken } })
            : await c.call(`${PREFIX}/refresh`, { method: 'POST' })
        if (reply.status === 200 && reply.json) {
          c.tokens = reply.json
          if (transport === 'bearer') {
            c.accessToken = reply.json.access_token as string
            c.refreshToken = reply.json.refresh_token as string
          }
        }
        return reply
      },
      copy() {
        const twin = client(username, jar.clone(), c.tokens)
        twin.accessToken = c.accessToken
        twin.refreshToken = c.refreshToken
        return twin
      },
    }
    return c
  }

  return {
    adapter: adapter.name,
    transport,
    url: app.url,
    clock,
    engine,
    events,
    http,
    request,
    raw: (path, options) => send(app.url, path, options),
    async login(username) {
      const jar = new CookieJar()
      const reply = await request('/login', { json: { username }, jar })
      expect(reply.status, reply.text).toBe(200)
      return client(username, jar, reply.json ?? {})
    },
    close: () => app.close(),
  }
}

/** A stack frame (`at fn (file:line:col)`) or a server path: never in any reply. */
const LEAK = /\bat [^\n]*:\d+:\d+|node_modules|\bError: /i

/**
 * The floor for every reply, ours or the framework's own (its 404 for a path that is not one of
 * ours, its refusal of a URL it cannot decode): no 5xx and nothing of the server's insides.
 */
export function expectNoLeak(reply: Reply): Reply {
  expect(reply.status, `5xx: ${reply.text}`).toBeLessThan(500)
  expect(reply.text, 'a stack trace or a server path reached the client').not.toMatch(LEAK)
  return reply
}

/**
 * Every reply of the suite passes here: never a 5xx, never a stack trace or an HTML error
 * page, and every error is JSON `{ error, error_description }`.
 */
export function expectSafe(reply: Reply): Reply {
  expectNoLeak(reply)
  expect(reply.text, 'an HTML error page reached the client').not.toMatch(/<!DOCTYPE|<html/i)
  if (reply.status >= 400) {
    expect(reply.headers.get('content-type') ?? '', reply.text).toMatch(/^application\/json/)
    expect(typeof reply.json?.error, reply.text).toBe('string')
    expect(typeof reply.json?.error_description, reply.text).toBe('string')
  }
  return reply
}

/** Parses a `WWW-Authenticate: Bearer …` challenge's attributes. */
export function challenge(reply: Reply): Record<string, string> | null {
  const header = reply.headers.get('www-authenticate')
  if (header === null || !/^Bearer\b/i.test(header)) return null
  const attributes: Record<string, string> = {}
  for (const m of header.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) attributes[m[1] as string] = m[2] as string
  return attributes
}
