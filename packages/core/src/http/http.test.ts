import { parseSetCookie } from 'cookie'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createEngine } from '../engine/engine.js'
import type { FamilyStore } from '../engine/store.js'
import type { Engine, EngineOptions, TokenPair } from '../engine/types.js'
import { AuthError } from '../errors/index.js'
import type { AuthEvent } from '../events/index.js'
import type { PolicyInput } from '../policy/policy.js'
import { systemRandom } from '../runtime.js'
import { createManualClock, createTestEngine, createTestStore, type ManualClock } from '../testing/index.js'
import { createAuthHttp } from './http.js'
import type { AuthHttpOptions } from './options.js'
import type { AuthHttp, AuthRequest, AuthResponse, LoginResult } from './types.js'

const SECRET = 'VJ2SQmkBOvq2qcrIbpFI0f1YMbkA71JHGpj/T/Ego8w='
const SECOND = 1000
const UA = 'Mozilla/5.0 (X11; Linux x86_64) test'

interface Setup {
  readonly http: AuthHttp
  readonly engine: Engine
  readonly clock: ManualClock
  readonly events: AuthEvent[]
  readonly errors: unknown[]
}

function setup(
  options: Partial<AuthHttpOptions> = {},
  policy: PolicyInput = {},
  engineOptions: Partial<EngineOptions> = {},
): Setup {
  const clock = createManualClock()
  const errors: unknown[] = []
  const { engine, events } = createTestEngine({ clock, secret: SECRET, random: systemRandom, policy, ...engineOptions })
  const http = createAuthHttp({ engine, clock, onError: (error) => errors.push(error), ...options })
  return { http, engine, clock, events, errors }
}

interface Call {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly json?: unknown
  readonly form?: string
  readonly raw?: { readonly type?: string; readonly text: string }
  readonly ip?: string
}

const encoder = new TextEncoder()

/** A request as an adapter would build it, with a raw body core reads itself. */
function request(call: Call): AuthRequest {
  const headers = new Map<string, string>([['user-agent', UA]])
  let text: string | null = null
  if (call.json !== undefined) {
    headers.set('content-type', 'application/json')
    text = JSON.stringify(call.json)
  } else if (call.form !== undefined) {
    headers.set('content-type', 'application/x-www-form-urlencoded')
    text = call.form
  } else if (call.raw !== undefined) {
    if (call.raw.type) headers.set('content-type', call.raw.type)
    text = call.raw.text
  }
  for (const [name, value] of Object.entries(call.headers ?? {})) headers.set(name.toLowerCase(), value)
  const bytes = text === null ? null : encoder.encode(text)
  return {
    method: call.method ?? 'POST',
    path: call.path,
    headers: { get: (name) => headers.get(name.toLowerCase()) },
    body:
      bytes === null ? { kind: 'none' } : { kind: 'raw', read: async (limit) => (bytes.length > limit ? null : bytes) },
    ip: call.ip ?? '203.0.113.7',
  }
}

async function handle(http: AuthHttp, call: Call): Promise<AuthResponse> {
  const response = await http.handle(request(call))
  if (response === null) throw new Error(`${call.path} is not one of our routes`)
  // What the adapter would send must survive JSON serialisation.
  JSON.stringify(response.body)
  return response
}

interface TokenBody {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token: string
  refresh_expires_in: number
  session_expires_at: number
}

/** A login that was not refused (no DPoP here): its pair is there. */
function succeeded(result: LoginResult): LoginResult & { readonly pair: TokenPair } {
  if (result.pair === null) throw new Error(`login refused: ${JSON.stringify(result.response.body)}`)
  return result as LoginResult & { readonly pair: TokenPair }
}

async function login(http: AuthHttp, subject: string, headers: Record<string, string> = {}) {
  const { pair, response } = succeeded(await http.login(request({ path: '/login', headers }), subject))
  return { pair, response, body: response.body as TokenBody }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('bearer transport', () => {
  it('login answers in the RFC 6749 §5.1 shape, uncacheable', async () => {
    const { http, clock } = setup()
    const { pair, response, body } = await login(http, 'alice')
    expect(response.status).toBe(200)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.headers.pragma).toBe('no-cache')
    expect(response.cookies).toEqual([])
    expect(body).toEqual({
      access_token: pair.accessToken,
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: pair.refreshToken,
      refresh_expires_in: 7 * 86_400,
      session_expires_at: Math.floor((clock.now() + 30 * 86_400_000) / 1000),
    })
  })

  it('refreshes from a JSON body (refresh_token or refreshToken) and from an OAuth form body', async () => {
    const { http } = setup()
    const { body } = await login(http, 'alice')
    const json = await handle(http, { path: '/auth/refresh', json: { refresh_token: body.refresh_token } })
    expect(json.status).toBe(200)
    const first = json.body as TokenBody
    expect(first.refresh_token).not.toBe(body.refresh_token)
    expect(json.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' })

    const camel = await handle(http, { path: '/auth/refresh', json: { refreshToken: first.refresh_token } })
    expect(camel.status).toBe(200)
    const second = camel.body as TokenBody

    const form = await handle(http, {
      path: '/auth/refresh?x=1',
      form: `grant_type=refresh_token&refresh_token=${encodeURIComponent(second.refresh_token)}&client_id=spa`,
    })
    expect(form.status).toBe(200)
    expect(form.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    const guard = await http.authenticate(
      request({ method: 'GET', path: '/me', headers: bearer((form.body as TokenBody).access_token) }),
    )
    expect(guard).toMatchObject({ ok: true, claims: { sub: 'alice' } })
  })

  it('speaks OAuth errors on the refresh route', async () => {
    const { http } = setup()
    const { body } = await login(http, 'alice')
    const cases: [Call, number, string, string][] = [
      [
        { path: '/auth/refresh', form: `refresh_token=${body.refresh_token}` },
        400,
        'invalid_request',
        'ERR_BAD_REQUEST',
      ],
      [
        { path: '/auth/refresh', form: 'grant_type=password&username=a' },
        400,
        'unsupported_grant_type',
        'ERR_UNSUPPORTED_GRANT_TYPE',
      ],
      [{ path: '/auth/refresh', json: {} }, 400, 'invalid_request', 'ERR_REFRESH_TOKEN_MISSING'],
      [{ path: '/auth/refresh', json: { refresh_token: 42 } }, 400, 'invalid_request', 'ERR_BAD_REQUEST'],
      [{ path: '/auth/refresh', json: { refresh_token: 'nope' } }, 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_MALFORMED'],
      [{ path: '/auth/refresh', json: { refresh_token: 'a b' } }, 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_MALFORMED'],
      [
        { path: '/auth/refresh', form: `grant_type=refresh_token&refresh_token=a&refresh_token=b` },
        400,
        'invalid_request',
        'ERR_BAD_REQUEST',
      ],
    ]
    for (const [call, status, error, code] of cases) {
      const response = await handle(http, call)
      expect([response.status, response.body]).toEqual([status, expect.objectContaining({ error, code })])
      expect(response.headers['www-authenticate']).toBeUndefined()
    }
    // The real token still works: nothing above touched its family.
    expect((await handle(http, { path: '/auth/refresh', json: { refresh_token: body.refresh_token } })).status).toBe(
      200,
    )
  })

  it('grace replay returns the identical successor; a replay from another client is reuse', async () => {
    const { http, clock, events } = setup({}, { reuseGrace: '10s', graceBinding: 'user_agent' })
    const { body } = await login(http, 'alice')
    const call = { path: '/auth/refresh', json: { refresh_token: body.refresh_token } }
    const rotated = (await handle(http, call)).body as TokenBody
    clock.advance(3 * SECOND)
    const replayed = await handle(http, call)
    expect(replayed.status).toBe(200)
    expect((replayed.body as TokenBody).refresh_token).toBe(rotated.refresh_token)
    expect(events.map((e) => e.type)).toEqual(['issued', 'rotated', 'replayed'])

    const thief = await handle(http, { ...call, headers: { 'user-agent': 'curl/8' } })
    expect(thief.status).toBe(400)
    expect(thief.body).toMatchObject({ error: 'invalid_grant', code: 'ERR_REFRESH_TOKEN_REUSED' })
    const after = await handle(http, { path: '/auth/refresh', json: { refresh_token: rotated.refresh_token } })
    expect(after.body).toMatchObject({ error: 'invalid_grant', code: 'ERR_REFRESH_TOKEN_REVOKED' })
  })

  it('a replay after the grace window revokes the family', async () => {
    const { http, clock, events } = setup({}, { reuseGrace: '10s' })
    const { body } = await login(http, 'alice')
    const call = { path: '/auth/refresh', json: { refresh_token: body.refresh_token } }
    const rotated = (await handle(http, call)).body as TokenBody
    clock.advance(11 * SECOND)
    const reused = await handle(http, call)
    expect([reused.status, reused.body]).toEqual([400, expect.objectContaining({ code: 'ERR_REFRESH_TOKEN_REUSED' })])
    expect(events.some((e) => e.type === 'reuse_detected')).toBe(true)
    const after = await handle(http, { path: '/auth/refresh', json: { refresh_token: rotated.refresh_token } })
    expect(after.status).toBe(400)
    // Access tokens are stateless: the one from the rotation stays valid until exp (see docs/http.md).
    clock.advance(900 * SECOND)
    const expired = await http.authenticate(
      request({ method: 'GET', path: '/me', headers: bearer(rotated.access_token) }),
    )
    expect(expired).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_EXPIRED' })
  })

  it('logout ends this family by the access token, or by a refresh token in the body; it is idempotent', async () => {
    const { http } = setup()
    const one = await login(http, 'alice')
    const two = await login(http, 'alice')
    const out = await handle(http, { path: '/auth/logout', headers: bearer(one.body.access_token) })
    expect([out.status, out.body]).toEqual([204, null])
    const refused = await handle(http, { path: '/auth/refresh', json: { refresh_token: one.body.refresh_token } })
    expect(refused.body).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REVOKED' })
    expect((await handle(http, { path: '/auth/logout', headers: bearer(one.body.access_token) })).status).toBe(204)

    const byRefresh = await handle(http, { path: '/auth/logout', json: { refresh_token: two.body.refresh_token } })
    expect(byRefresh.status).toBe(204)
    const gone = await handle(http, { path: '/auth/refresh', json: { refresh_token: two.body.refresh_token } })
    expect(gone.body).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REVOKED' })

    const nothing = await handle(http, { path: '/auth/logout' })
    expect(nothing.status).toBe(401)
    expect(nothing.headers['www-authenticate']).toBe('Bearer realm="api"')
    const forged = await handle(http, { path: '/auth/logout', json: { refresh_token: `${two.body.refresh_token}x` } })
    expect(forged.body).toMatchObject({ error: 'invalid_grant' })
  })

  it('logout-all ends every family of the subject and nobody else’s', async () => {
    const { http } = setup()
    const a1 = await login(http, 'alice')
    const a2 = await login(http, 'alice')
    const b = await login(http, 'bob')
    const response = await handle(http, { path: '/auth/logout-all', headers: bearer(a1.body.access_token) })
    expect([response.status, response.body]).toEqual([200, { revoked: 2 }])
    for (const token of [a1.body.refresh_token, a2.body.refresh_token]) {
      expect((await handle(http, { path: '/auth/refresh', json: { refresh_token: token } })).status).toBe(400)
    }
    expect((await handle(http, { path: '/auth/refresh', json: { refresh_token: b.body.refresh_token } })).status).toBe(
      200,
    )
    const anonymous = await handle(http, { path: '/auth/logout-all' })
    expect(anonymous.status).toBe(401)
  })

  it('lists only your own sessions; revoking anyone else’s or an unknown one is the same 404', async () => {
    const { http, clock } = setup()
    const a1 = await login(http, 'alice', { 'user-agent': 'Phone/1.0' })
    clock.advance(60 * SECOND)
    const a2 = await login(http, 'alice')
    const b = await login(http, 'bob')
    const list = await handle(http, { method: 'GET', path: '/auth/sessions', headers: bearer(a2.body.access_token) })
    expect(list.status).toBe(200)
    const { sessions } = list.body as { sessions: Record<string, unknown>[] }
    expect(sessions).toHaveLength(2)
    expect(sessions.find((s) => s.id === a2.pair.familyId)).toEqual({
      id: a2.pair.familyId,
      created_at: Math.floor(clock.now() / 1000),
      last_used_at: Math.floor(clock.now() / 1000),
      expires_at: Math.floor((clock.now() + 7 * 86_400_000) / 1000),
      user_agent: UA,
      ip: '203.0.113.7',
      current: true,
    })
    expect(sessions.find((s) => s.id === a1.pair.familyId)).toMatchObject({ user_agent: 'Phone/1.0', current: false })
    expect(JSON.stringify(list.body)).not.toContain(b.pair.familyId)

    const other = await handle(http, {
      method: 'DELETE',
      path: `/auth/sessions/${b.pair.familyId}`,
      headers: bearer(a2.body.access_token),
    })
    const unknown = await handle(http, {
      method: 'DELETE',
      path: '/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA',
      headers: bearer(a2.body.access_token),
    })
    const garbage = await handle(http, {
      method: 'DELETE',
      path: '/auth/sessions/%E0%A4%A',
      headers: bearer(a2.body.access_token),
    })
    for (const response of [other, unknown, garbage]) {
      expect([response.status, response.body]).toEqual([
        404,
        { error: 'not_found', error_description: 'no such session', code: 'ERR_NOT_FOUND' },
      ])
    }
    expect((await handle(http, { path: '/auth/refresh', json: { refresh_token: b.body.refresh_token } })).status).toBe(
      200,
    )

    const own = await handle(http, {
      method: 'DELETE',
      path: `/auth/sessions/${a1.pair.familyId}`,
      headers: bearer(a2.body.access_token),
    })
    expect(own.status).toBe(204)
    expect((await handle(http, { path: '/auth/refresh', json: { refresh_token: a1.body.refresh_token } })).status).toBe(
      400,
    )
  })

  it('revokes per RFC 7009: 200 for any token, a refresh token ends its family, an access token its sid family', async () => {
    const { http } = setup()
    const one = await login(http, 'alice')
    const two = await login(http, 'alice')
    const byRefresh = await handle(http, {
      path: '/auth/revoke',
      form: `token=${one.body.refresh_token}&token_type_hint=refresh_token`,
    })
    expect([byRefresh.status, byRefresh.body]).toEqual([200, null])
    expect(
      (await handle(http, { path: '/auth/refresh', json: { refresh_token: one.body.refresh_token } })).status,
    ).toBe(400)

    const byAccess = await handle(http, {
      path: '/auth/revoke',
      form: `token=${two.body.access_token}&token_type_hint=access_token`,
    })
    expect(byAccess.status).toBe(200)
    expect(
      (await handle(http, { path: '/auth/refresh', json: { refresh_token: two.body.refresh_token } })).status,
    ).toBe(400)

    for (const form of ['token=garbage', 'token=a.b.c&token_type_hint=weird', `token=${one.body.refresh_token}`]) {
      expect((await handle(http, { path: '/auth/revoke', form })).status).toBe(200)
    }
    const missing = await handle(http, { path: '/auth/revoke', form: 'token_type_hint=refresh_token' })
    expect([missing.status, missing.body]).toEqual([400, expect.objectContaining({ error: 'invalid_request' })])
  })

  it('serves the public JWKS, cacheable', async () => {
    const { http } = setup()
    const response = await handle(http, { method: 'GET', path: '/auth/jwks' })
    expect(response.status).toBe(200)
    expect(response.headers['cache-control']).toBe('public, max-age=300')
    const { keys } = response.body as { keys: Record<string, unknown>[] }
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      expect(key.kid).toEqual(expect.any(String))
      expect(key.d).toBeUndefined()
      expect(key.k).toBeUndefined()
    }
  })

  it('routes: 405 with Allow on a known path, null for anything else', async () => {
    const { http } = setup()
    const wrong = await handle(http, { method: 'GET', path: '/auth/refresh' })
    expect([wrong.status, wrong.headers.allow, (wrong.body as { code: string }).code]).toEqual([
      405,
      'POST',
      'ERR_METHOD_NOT_ALLOWED',
    ])
    expect((await handle(http, { method: 'POST', path: '/auth/sessions' })).headers.allow).toBe('GET, HEAD')
    expect((await handle(http, { method: 'HEAD', path: '/auth/jwks' })).status).toBe(200)
    expect((await handle(http, { method: 'GET', path: '/auth/sessions/x' })).headers.allow).toBe('DELETE')
    for (const path of [
      '/auth',
      '/auth/',
      '/auth/nope',
      '/auth/refresh/',
      '/auth/sessions/a/b',
      '/other/refresh',
      '/authrefresh',
      '/auth/__proto__',
      '/auth/constructor',
    ]) {
      expect(await http.handle(request({ path }))).toBeNull()
    }
    const mounted = setup({ prefix: '/api/v1/auth/' })
    expect(mounted.http.prefix).toBe('/api/v1/auth')
    expect((await handle(mounted.http, { method: 'GET', path: '/api/v1/auth/jwks' })).status).toBe(200)
    expect(await mounted.http.handle(request({ method: 'GET', path: '/auth/jwks' }))).toBeNull()
  })

  it('refuses oversized bodies, other content types and garbage JSON with 4xx and no stack', async () => {
    const { http } = setup()
    const cases: [Call, number, string][] = [
      [
        { path: '/auth/refresh', raw: { type: 'application/json', text: `{"refresh_token":"${'a'.repeat(17_000)}"}` } },
        413,
        'ERR_BODY_TOO_LARGE',
      ],
      [
        { path: '/auth/refresh', raw: { type: 'text/plain', text: 'refresh_token=x' } },
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
      ],
      [{ path: '/auth/refresh', raw: { text: '{"refresh_token":"x"}' } }, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE'],
      [{ path: '/auth/refresh', raw: { type: 'application/json', text: '{"refresh_token":' } }, 400, 'ERR_BAD_REQUEST'],
      [{ path: '/auth/refresh', raw: { type: 'application/json', text: '["x"]' } }, 400, 'ERR_BAD_REQUEST'],
      [{ path: '/auth/logout', raw: { type: 'application/json', text: 'nul' } }, 400, 'ERR_BAD_REQUEST'],
      [
        { path: '/auth/revoke', raw: { type: 'application/json', text: '{"token":{"$gt":""}}' } },
        400,
        'ERR_BAD_REQUEST',
      ],
    ]
    for (const [call, status, code] of cases) {
      const response = await handle(http, call)
      expect([response.status, (response.body as { code: string }).code]).toEqual([status, code])
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts|Error:/)
    }
  })
})

describe('guard', () => {
  it('missing, malformed, expired, wrong-audience and stale tokens get distinct, correct answers', async () => {
    const { http, clock } = setup()
    const get = (headers: Record<string, string> = {}) => request({ method: 'GET', path: '/me', headers })
    const { body } = await login(http, 'alice')

    const missing = await http.authenticate(get())
    expect(missing).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_MISSING' })
    if (missing.ok) throw new Error('unreachable')
    expect(missing.response.status).toBe(401)
    expect(missing.response.headers['www-authenticate']).toBe('Bearer realm="api"')

    const malformed = await http.authenticate(get({ authorization: 'Bearer not-a-jwt' }))
    expect(malformed).toMatchObject({ ok: false, response: { status: 401 } })
    if (malformed.ok) throw new Error('unreachable')
    expect(malformed.response.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="/,
    )

    const other = setup({}, {}, { audience: 'another-api' })
    const foreign = await login(other.http, 'alice')
    const wrongAudience = await http.authenticate(get(bearer(foreign.body.access_token)))
    expect(wrongAudience).toMatchObject({ ok: false, response: { status: 401, body: { error: 'invalid_token' } } })

    clock.advance(10 * 60 * SECOND)
    const stale = await http.authenticate(get(bearer(body.access_token)), { maxAuthAge: '5m' })
    expect(stale).toMatchObject({ ok: false, code: 'ERR_AUTH_STALE' })
    if (stale.ok) throw new Error('unreachable')
    expect(stale.response.status).toBe(401)
    expect(stale.response.headers['www-authenticate']).toContain('error="insufficient_user_authentication"')
    expect(stale.response.headers['www-authenticate']).toContain('max_age="300"')
    expect(await http.authenticate(get(bearer(body.access_token)), { maxAuthAge: '15m' })).toMatchObject({ ok: true })

    clock.advance(6 * 60 * SECOND)
    const expired = await http.authenticate(get(bearer(body.access_token)))
    expect(expired).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_EXPIRED', response: { status: 401 } })
  })

  it('reads the body location only from a body the framework parsed', async () => {
    const { http } = setup({ tokenLocations: ['header', 'body'] })
    const { body } = await login(http, 'alice')
    const parsed: AuthRequest = {
      ...request({ path: '/x' }),
      body: { kind: 'parsed', value: { access_token: body.access_token } },
    }
    expect(await http.authenticate(parsed)).toMatchObject({ ok: true, claims: { sub: 'alice' } })
    expect(await http.authenticate(request({ path: '/x', json: { access_token: body.access_token } }))).toMatchObject({
      ok: false,
      code: 'ERR_ACCESS_TOKEN_MISSING',
    })
    expect(await http.authenticate(parsed, { locations: ['header'] })).toMatchObject({
      code: 'ERR_ACCESS_TOKEN_MISSING',
    })
    await expect(http.authenticate(parsed, { locations: ['cookie'] })).rejects.toThrow(/transport: 'cookie'/)
  })
})

describe('storage outages', () => {
  function failing(
    code: 'ERR_STORAGE_UNAVAILABLE' | 'ERR_STORAGE_CORRUPT',
    clock: ManualClock,
  ): FamilyStore & { breakNow(): void } {
    const store = createTestStore({ clock })
    let broken = false
    const fail = () => {
      throw new AuthError(code, 'connect ECONNREFUSED 10.1.2.3:6379')
    }
    return Object.assign(
      {
        create: (r) => (broken ? fail() : store.create(r)),
        get: (id) => (broken ? fail() : store.get(id)),
        compareAndSet: (id, v, n) => (broken ? fail() : store.compareAndSet(id, v, n)),
        listBySubject: (s, p) => (broken ? fail() : store.listBySubject(s, p)),
      } satisfies FamilyStore,
      { breakNow: () => (broken = true) },
    )
  }

  it('an outage is 503 with Retry-After and a generic body; a corrupt record is a generic 500; both are reported', async () => {
    for (const [code, status] of [
      ['ERR_STORAGE_UNAVAILABLE', 503],
      ['ERR_STORAGE_CORRUPT', 500],
    ] as const) {
      const clock = createManualClock()
      const store = failing(code, clock)
      const { http, errors } = setup({}, {}, { store, clock })
      const { body } = await login(http, 'alice')
      store.breakNow()
      const calls: Call[] = [
        { path: '/auth/refresh', json: { refresh_token: body.refresh_token } },
        { path: '/auth/logout-all', headers: bearer(body.access_token) },
        { method: 'GET', path: '/auth/sessions', headers: bearer(body.access_token) },
      ]
      for (const call of calls) {
        const response = await handle(http, call)
        expect(response.status).toBe(status)
        expect(response.headers['retry-after']).toBe(status === 503 ? '1' : undefined)
        expect(response.body).toMatchObject({
          error: status === 503 ? 'temporarily_unavailable' : 'server_error',
          code,
        })
        expect(JSON.stringify(response)).not.toContain('10.1.2.3')
      }
      expect(errors).toHaveLength(calls.length)
      await expect(http.login(request({ path: '/login' }), 'bob')).rejects.toThrow(AuthError)
    }
  })
})

/** A browser's cookie jar, honouring Path (so the refresh cookie only goes under the prefix); keyed by name and path, as a browser's. */
class Jar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>()
  take(response: AuthResponse): this {
    for (const header of response.cookies) {
      const cookie = parseSetCookie(header)
      const path = cookie.path ?? '/'
      const key = `${cookie.name}\u0000${path}`
      if (cookie.maxAge === 0) this.cookies.delete(key)
      else this.cookies.set(key, { name: cookie.name, value: cookie.value ?? '', path })
    }
    return this
  }
  header(path: string): string {
    return [...this.cookies.values()]
      .filter(
        (c) => path === c.path || path.startsWith(c.path === '/' ? '/' : `${c.path}/`) || path.startsWith(`${c.path}?`),
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }
  get(name: string): string | undefined {
    for (const c of this.cookies.values()) if (c.name === name) return c.value
    return undefined
  }
  get size(): number {
    return this.cookies.size
  }
}

describe('cookie transport', () => {
  async function browserLogin() {
    const s = setup({ transport: 'cookie' })
    const { response, pair } = succeeded(await s.http.login(request({ path: '/login' }), 'alice'))
    const jar = new Jar().take(response)
    const call = (c: Call, csrf = true): Promise<AuthResponse> =>
      handle(s.http, {
        ...c,
        headers: {
          cookie: jar.header(c.path),
          ...(csrf ? { 'x-csrf-token': jar.get('__Host-csrf_token') ?? '' } : {}),
          ...c.headers,
        },
      })
    return { ...s, response, pair, jar, call }
  }

  it('an access cookie with login claims at the 2 KiB cap, a long issuer and a long audience stays within the 4,096 bytes browsers keep', async () => {
    const long = (prefix: string) => `${prefix}${'x'.repeat(120 - prefix.length)}`
    const clock = createManualClock()
    const { engine } = createTestEngine({
      clock,
      issuer: long('https://auth.'),
      audience: [long('https://api.'), long('https://admin.')],
    })
    const http = createAuthHttp({ engine, transport: 'cookie' })
    // 2,048 bytes of JSON, all ASCII (the worst case for base64url, which grows every byte by 4/3).
    const claims = { role: 'admin', blob: 'y'.repeat(2048 - '{"role":"admin","blob":""}'.length) }
    expect(new TextEncoder().encode(JSON.stringify(claims)).length).toBe(2048)
    const { response } = await http.login(request({ path: '/login' }), 'user-with-a-long-subject-0123456789', {
      claims,
    })
    const access = response.cookies.find((c) => c.startsWith('__Host-access_token='))
    expect(access).toBeDefined()
    // RFC 6265 §6.1: at least 4,096 bytes per cookie, name, value and attributes together.
    expect(new TextEncoder().encode(access).length).toBeLessThanOrEqual(4096)
  })

  it('login sets HttpOnly, Secure, prefixed cookies whose Max-Age matches each lifetime, and no token in the body', async () => {
    const { response, pair } = await browserLogin()
    const set = response.cookies.map((c) => parseSetCookie(c))
    const cookies = Object.fromEntries(set.filter((c) => c.maxAge !== 0).map((c) => [c.name, c]))
    // The cookie earlier versions kept at {prefix}/refresh is deleted, so a browser never holds two.
    expect(set.filter((c) => c.maxAge === 0)).toEqual([
      expect.objectContaining({ name: '__Secure-refresh_token', path: '/auth/refresh', maxAge: 0 }),
    ])
    expect(cookies['__Host-access_token']).toEqual({
      name: '__Host-access_token',
      value: pair.accessToken,
      maxAge: 900,
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
    })
    expect(cookies['__Secure-refresh_token']).toEqual({
      name: '__Secure-refresh_token',
      value: pair.refreshToken,
      maxAge: 7 * 86_400,
      path: '/auth',
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
    })
    expect(cookies['__Host-csrf_token']).toMatchObject({ maxAge: 7 * 86_400, path: '/', secure: true, sameSite: 'lax' })
    expect(cookies['__Host-csrf_token']?.httpOnly).toBeUndefined()
    const body = response.body as Record<string, unknown>
    expect(body).toEqual({
      expires_in: 900,
      refresh_expires_in: 7 * 86_400,
      session_expires_at: expect.any(Number),
      csrf_token: cookies['__Host-csrf_token']?.value,
    })
    expect(JSON.stringify(body)).not.toContain(pair.refreshToken)
  })

  it('guards: a cookie GET needs no CSRF; a cookie POST needs the matching header; a Bearer header needs none', async () => {
    const { http, jar, pair } = await browserLogin()
    const cookie = jar.header('/api')
    const csrf = jar.get('__Host-csrf_token') ?? ''
    // One character off (never the same one written back: a token ending in 'A' once made this pass).
    const wrongCsrf = csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A')
    const as = (method: string, headers: Record<string, string>) =>
      http.authenticate(request({ method, path: '/api', headers }))
    expect(await as('GET', { cookie })).toMatchObject({ ok: true })
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(await as(method, { cookie })).toMatchObject({ ok: false, code: 'ERR_CSRF', response: { status: 403 } })
      expect(await as(method, { cookie, 'x-csrf-token': wrongCsrf })).toMatchObject({ code: 'ERR_CSRF' })
      expect(await as(method, { cookie, 'x-csrf-token': csrf })).toMatchObject({ ok: true })
    }
    // A cookie planted by someone else (no CSRF cookie to match) never passes.
    expect(await as('POST', { cookie: `__Host-access_token=${pair.accessToken}`, 'x-csrf-token': csrf })).toMatchObject(
      {
        code: 'ERR_CSRF',
      },
    )
    const mixed = setup({ transport: 'cookie', tokenLocations: ['cookie', 'header'] })
    const native = succeeded(await mixed.http.login(request({ path: '/login' }), 'bob'))
    expect(
      await mixed.http.authenticate(
        request({ method: 'POST', path: '/api', headers: bearer(native.pair.accessToken) }),
      ),
    ).toMatchObject({ ok: true })
  })

  it('refresh reads the path-scoped cookie, needs CSRF, rotates the cookies and keeps the CSRF token', async () => {
    const { jar, call, pair } = await browserLogin()
    // Path={prefix}: the refresh cookie reaches our routes (refresh, logout), never the app's own.
    expect(jar.header('/api/me')).not.toContain('refresh_token')
    expect(jar.header('/auth/logout')).toContain('refresh_token')
    const csrf = jar.get('__Host-csrf_token')
    const refused = await call({ path: '/auth/refresh' }, false)
    expect([refused.status, (refused.body as { code: string }).code]).toEqual([403, 'ERR_CSRF'])
    const response = await call({ path: '/auth/refresh' })
    expect(response.status).toBe(200)
    jar.take(response)
    expect(jar.get('__Secure-refresh_token')).not.toBe(pair.refreshToken)
    expect(jar.get('__Host-access_token')).not.toBe(pair.accessToken)
    expect(jar.get('__Host-csrf_token')).toBe(csrf)
    expect(response.body).not.toHaveProperty('refresh_token')
  })

  it('a reused refresh cookie is refused and the dead cookies are cleared', async () => {
    const { jar, call, clock, pair } = await browserLogin()
    const stolen = `__Secure-refresh_token=${pair.refreshToken}; __Host-csrf_token=${jar.get('__Host-csrf_token')}`
    jar.take(await call({ path: '/auth/refresh' }))
    clock.advance(30 * SECOND)
    const replay = await call({ path: '/auth/refresh', headers: { cookie: stolen } })
    expect([replay.status, (replay.body as { code: string }).code]).toEqual([400, 'ERR_REFRESH_TOKEN_REUSED'])
    expect(replay.cookies.map((c) => parseSetCookie(c)).map((c) => [c.name, c.maxAge])).toEqual([
      ['__Host-access_token', 0],
      ['__Secure-refresh_token', 0],
      ['__Host-csrf_token', 0],
      ['__Secure-refresh_token', 0], // the path earlier versions used, {prefix}/refresh
    ])
    const honest = await call({ path: '/auth/refresh' })
    expect((honest.body as { code: string }).code).toBe('ERR_REFRESH_TOKEN_REVOKED')
  })

  it('logout needs CSRF, ends the family and clears the cookies', async () => {
    const { jar, call } = await browserLogin()
    expect((await call({ path: '/auth/logout' }, false)).status).toBe(403)
    const out = await call({ path: '/auth/logout' })
    expect(out.status).toBe(204)
    const refreshCookie = jar.header('/auth/refresh')
    jar.take(out)
    expect(jar.size).toBe(0)
    const after = await call({ path: '/auth/refresh', headers: { cookie: refreshCookie } }, false)
    expect(after.status).toBe(403)
  })

  it('sessions and session revocation work from cookies (DELETE needs CSRF)', async () => {
    const { jar, call, pair } = await browserLogin()
    const list = await call({ method: 'GET', path: '/auth/sessions' }, false)
    expect((list.body as { sessions: { id: string; current: boolean }[] }).sessions).toEqual([
      expect.objectContaining({ id: pair.familyId, current: true }),
    ])
    expect((await call({ method: 'DELETE', path: `/auth/sessions/${pair.familyId}` }, false)).status).toBe(403)
    const deleted = await call({ method: 'DELETE', path: `/auth/sessions/${pair.familyId}` })
    expect(deleted.status).toBe(204)
    expect(jar.take(deleted).size).toBe(0)
  })
})

describe('createAuthHttp options', () => {
  const engine = setup().engine
  it.each([
    [{ transport: 'carrier-pigeon' }, /transport/],
    [{ prefix: 'auth' }, /prefix/],
    [{ prefix: '/a b' }, /prefix/],
    [{ tokenLocations: [] }, /tokenLocations/],
    [{ tokenLocations: ['query'] }, /tokenLocations/],
    [{ tokenLocations: ['cookie'] }, /transport: 'cookie'/],
    [{ transport: 'cookie', tokenLocations: ['header'] }, /tokenLocations/],
    [{ bodyLimit: 10 }, /bodyLimit/],
    [{ bodyLimit: 1.5e9 }, /bodyLimit/],
    [{ realm: 'a"b' }, /realm/],
    [{ clientIds: [] }, /clientIds/],
    [{ cookies: { secure: false } }, /dangerouslyAllowInsecureCookies/],
    [{ engine: {} }, /engine/],
  ])('refuses %j', (options, message) => {
    expect(() => createAuthHttp({ engine, ...(options as object) } as AuthHttpOptions)).toThrow(message)
    try {
      createAuthHttp({ engine, ...(options as object) } as AuthHttpOptions)
    } catch (error) {
      expect(error).toMatchObject({ name: 'AuthError', code: 'ERR_CONFIG_INVALID' })
    }
  })

  it("refuses graceBinding 'dpop', naming what replaces it: the engine's dpop option (issue 15)", () => {
    expect(() =>
      createEngine({
        store: createTestStore(),
        issuer: 'i',
        audience: 'a',
        secret: SECRET,
        policy: { graceBinding: 'dpop' as never },
      }),
    ).toThrow(/policy\.graceBinding: 'dpop' is not a binding.*createEngine\(\{ dpop: 'required' \}\)/)
  })

  it('binds grace replays by device id when the policy says so', async () => {
    const { http, clock } = setup({}, { graceBinding: 'device_id' })
    const { body } = await login(http, 'alice', { 'x-device-id': 'phone-1' })
    const call = (device: string) =>
      handle(http, {
        path: '/auth/refresh',
        json: { refresh_token: body.refresh_token },
        headers: { 'x-device-id': device },
      })
    expect((await call('phone-1')).status).toBe(200)
    clock.advance(SECOND)
    expect((await call('phone-1')).status).toBe(200)
    expect((await call('laptop-2')).body).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
  })

  it('refuses a client_id it was not configured with, and ignores client_id otherwise', async () => {
    const { http } = setup({ clientIds: ['spa'] })
    const { response } = succeeded(await http.login(request({ path: '/login' }), 'alice', { clientId: 'spa' }))
    const body = response.body as TokenBody
    const form = (clientId: string) =>
      `grant_type=refresh_token&refresh_token=${body.refresh_token}&client_id=${clientId}`
    const other = await handle(http, { path: '/auth/refresh', form: form('mallory') })
    expect(other.body).toMatchObject({ error: 'invalid_grant' })
    expect((await handle(http, { path: '/auth/refresh', form: form('spa') })).status).toBe(200)
  })

  it('with clientIds: a family is bound to its client (RFC 6749 §6); refresh and revoke need client_id and refuse another client (review finding 9)', async () => {
    const { http, engine } = setup({ clientIds: ['spa', 'ios'] })
    await expect(http.login(request({ path: '/login' }), 'alice')).rejects.toThrow(/pass the client.*\{ clientId \}/)
    const { response, pair } = succeeded(await http.login(request({ path: '/login' }), 'alice', { clientId: 'spa' }))
    const token = (response.body as TokenBody).refresh_token
    // The client_id claim (RFC 9068) names the family's client.
    const verified = await engine.verifyAccess(pair.accessToken)
    expect(verified.ok && verified.claims.client_id).toBe('spa')
    const refresh = (extra: string) =>
      handle(http, { path: '/auth/refresh', form: `grant_type=refresh_token&refresh_token=${token}${extra}` })
    expect(await refresh('')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', code: 'ERR_BAD_REQUEST' },
    })
    expect(await refresh('&client_id=ios')).toMatchObject({ status: 400, body: { code: 'ERR_REFRESH_TOKEN_INVALID' } })
    // Another client's revoke is refused and revokes nothing.
    const revoke = (clientId: string) =>
      handle(http, { path: '/auth/revoke', form: `token=${token}&token_type_hint=refresh_token&client_id=${clientId}` })
    expect(await revoke('ios')).toMatchObject({ status: 400, body: { code: 'ERR_REFRESH_TOKEN_INVALID' } })
    expect((await engine.list('alice')).length).toBe(1)
    // Its own client refreshes, and revokes.
    expect((await refresh('&client_id=spa')).status).toBe(200)
    expect((await revoke('spa')).status).toBe(200)
    expect(await engine.list('alice')).toEqual([])
  })

  it('without clientIds, access tokens carry the engine default client_id (the issuer unless set)', async () => {
    const { engine } = setup()
    const pair = await engine.issue('alice')
    const verified = await engine.verifyAccess(pair.accessToken)
    expect(verified.ok && verified.claims.client_id).toBe('https://auth.example.test')
    expect(() => setup({}, {}, { defaultClientId: '' })).toThrow(/defaultClientId/)
    await expect(engine.issue('bob', { claims: { client_id: 'x' } })).rejects.toThrow(/reserved/)
  })

  it('allows insecure cookies only with the scary flag, and then without prefixes', async () => {
    const { http } = setup({ transport: 'cookie', cookies: { secure: false, dangerouslyAllowInsecureCookies: true } })
    const { response } = succeeded(await http.login(request({ path: '/login' }), 'alice'))
    expect(response.cookies.map((c) => parseSetCookie(c).name)).toEqual([
      'access_token',
      'refresh_token',
      'csrf_token',
      'refresh_token', // deleting the cookie at the path earlier versions used
    ])
    expect(response.cookies.join()).not.toContain('Secure')
  })
})

describe('hostile input', () => {
  it('no request, however malformed, gets a 5xx, a throw or a stack trace', async () => {
    const { http, errors } = setup({ transport: 'cookie', tokenLocations: ['cookie', 'header', 'body'] })
    const { pair } = succeeded(await http.login(request({ path: '/login' }), 'alice'))
    const token = fc.constantFrom(
      pair.accessToken,
      pair.refreshToken,
      `${pair.refreshToken.slice(0, -2)}xx`,
      'a.b.c',
      '',
    )
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), token)
    const routes = [
      'refresh',
      'logout',
      'logout-all',
      'sessions',
      `sessions/${pair.familyId}`,
      'sessions/%ZZ',
      'revoke',
      'jwks',
    ]
    const arbitrary = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'BREW'),
      path: fc.oneof(
        fc.constantFrom(...routes).map((r) => `/auth/${r}`),
        text.map((t) => `/auth/${t}`),
      ),
      authorization: fc.option(
        fc.oneof(
          token.map((t) => `Bearer ${t}`),
          text,
        ),
        { nil: undefined },
      ),
      cookie: fc.option(
        fc.oneof(
          token.map((t) => `__Host-access_token=${t}; __Secure-refresh_token=${t}; __Host-csrf_token=c`),
          text,
        ),
        { nil: undefined },
      ),
      csrf: fc.option(fc.oneof(fc.constant('c'), text), { nil: undefined }),
      contentType: fc.option(
        fc.oneof(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'), text),
        { nil: undefined },
      ),
      body: fc.option(
        fc.oneof(
          text,
          fc.json({ maxDepth: 4 }),
          token.map((t) => JSON.stringify({ refresh_token: t, token: t, access_token: t })),
          token.map((t) => `grant_type=refresh_token&refresh_token=${t}&token=${t}`),
        ),
        { nil: undefined },
      ),
    })
    await fc.assert(
      fc.asyncProperty(arbitrary, async (r) => {
        const headers: Record<string, string> = {}
        if (r.authorization !== undefined) headers.authorization = r.authorization
        if (r.cookie !== undefined) headers.cookie = r.cookie
        if (r.csrf !== undefined) headers['x-csrf-token'] = r.csrf
        const call: Call = {
          method: r.method,
          path: r.path,
          headers,
          ...(r.body === undefined ? {} : { raw: { text: r.body, ...(r.contentType ? { type: r.contentType } : {}) } }),
        }
        const response = await http.handle(request(call))
        if (response === null) return
        expect(response.status, JSON.stringify(r)).toBeLessThan(500)
        expect(JSON.stringify(response)).not.toMatch(/\n\s+at |Error:/)
        for (const value of Object.values(response.headers)) expect(value).toMatch(/^[\x20-\x7e]*$/)
      }),
      { numRuns: 500 },
    )
    expect(errors).toEqual([])
  })
})

describe('mixed transport: the answer follows the request’s credential (review finding 6)', () => {
  const mixedSetup = () => setup({ transport: 'cookie', tokenLocations: ['cookie', 'header'] })
  const cookieNames = (response: AuthResponse) => (response.cookies ?? []).map((c) => parseSetCookie(c).name)

  it('a login that says Auth-Transport: bearer gets tokens in the body and no cookies; any other gets cookies', async () => {
    const { http } = mixedSetup()
    const native = await login(http, 'app-user', { 'auth-transport': 'bearer' })
    expect(native.body.refresh_token).toBe(native.pair.refreshToken)
    expect(native.body.access_token).toBe(native.pair.accessToken)
    expect(native.response.cookies ?? []).toEqual([])
    const browser = await login(http, 'web-user')
    expect(browser.response.body).not.toHaveProperty('refresh_token')
    expect(browser.response.body).not.toHaveProperty('access_token')
    expect(cookieNames(browser.response)).toContain('__Secure-refresh_token')
    // Outside mixed mode the header changes nothing: a cookie-only API never hands out tokens.
    const cookieOnly = setup({ transport: 'cookie' })
    const asked = await login(cookieOnly.http, 'x', { 'auth-transport': 'bearer' })
    expect(asked.response.body).not.toHaveProperty('refresh_token')
  })

  it('a refresh with the token in the body is answered in the body, without cookies and without CSRF', async () => {
    const { http } = mixedSetup()
    const native = await login(http, 'app-user', { 'auth-transport': 'bearer' })
    const response = await handle(http, { path: '/auth/refresh', json: { refresh_token: native.body.refresh_token } })
    expect(response.status).toBe(200)
    const body = response.body as TokenBody
    expect(body.refresh_token).toMatch(/\S/)
    expect(body.refresh_token).not.toBe(native.body.refresh_token)
    expect(response.cookies ?? []).toEqual([])
    // The rotated token keeps working the same way; the new access token passes the guard by header.
    const again = await handle(http, {
      path: '/auth/refresh',
      form: `grant_type=refresh_token&refresh_token=${body.refresh_token}`,
    })
    expect(again.status).toBe(200)
    expect(
      await http.authenticate(
        request({ method: 'GET', path: '/api', headers: bearer((again.body as TokenBody).access_token) }),
      ),
    ).toMatchObject({ ok: true })
  })

  it('a refresh by cookie is answered with cookies and never a body refresh_token; cookie and body together are refused', async () => {
    const { http } = mixedSetup()
    const browser = await login(http, 'web-user')
    // What the browser keeps: the cookies set with a value (the legacy one is a deletion).
    const jar = new Map(
      (browser.response.cookies ?? [])
        .map((c) => parseSetCookie(c))
        .filter((c) => c.value !== '')
        .map((c) => [c.name, c.value] as const),
    )
    const cookie = [...jar].map(([n, v]) => `${n}=${v}`).join('; ')
    const csrf = jar.get('__Host-csrf_token') as string
    const response = await handle(http, { path: '/auth/refresh', headers: { cookie, 'x-csrf-token': csrf } })
    expect(response.status).toBe(200)
    expect(response.body).not.toHaveProperty('refresh_token')
    expect(cookieNames(response)).toContain('__Secure-refresh_token')
    // A script in the page cannot turn its cookie into a readable token by asking for the body.
    const asked = await handle(http, {
      path: '/auth/refresh',
      headers: { cookie, 'x-csrf-token': csrf, 'auth-transport': 'bearer' },
    })
    expect(asked.body).not.toHaveProperty('refresh_token')
    const native = await login(http, 'app-user', { 'auth-transport': 'bearer' })
    const both = await handle(http, {
      path: '/auth/refresh',
      headers: { cookie, 'x-csrf-token': csrf },
      json: { refresh_token: native.body.refresh_token },
    })
    expect([both.status, (both.body as { code: string }).code]).toEqual([400, 'ERR_BAD_REQUEST'])
  })

  it('logout of a native client with an expired access token works with the body refresh token', async () => {
    const { http, clock, engine } = mixedSetup()
    const native = await login(http, 'app-user', { 'auth-transport': 'bearer' })
    clock.advance(16 * 60 * SECOND)
    const response = await handle(http, { path: '/auth/logout', json: { refresh_token: native.body.refresh_token } })
    expect(response.status).toBe(204)
    expect(await engine.list('app-user')).toEqual([])
  })
})

describe('the CSRF token is bound to the family (review finding 14)', () => {
  it('a planted CSRF cookie with a matching header is refused on refresh and on a guarded unsafe route', async () => {
    const { http, engine } = setup({ transport: 'cookie', cookies: { domain: 'example.com' } })
    const { pair, response } = succeeded(await http.login(request({ path: '/login' }), 'alice'))
    const set = new Map(
      (response.cookies ?? [])
        .map((c) => parseSetCookie(c))
        .filter((c) => c.value !== '')
        .map((c) => [c.name, c.value] as const),
    )
    const names = [...set.keys()]
    const csrfName = names.find((n) => n.includes('csrf')) as string
    const real = set.get(csrfName) as string
    expect((response.body as { csrf_token: string }).csrf_token).toBe(real)
    expect(real).toBe(await engine.csrfToken(pair.familyId))
    // A sibling subdomain overwrote the CSRF cookie with a value it knows, and sends it as the header.
    const planted = 'planted-by-a-sibling-subdomain-0123456789'
    const cookieWith = (csrf: string) => [...set].map(([n, v]) => `${n}=${n === csrfName ? csrf : v}`).join('; ')
    const forged = await handle(http, {
      path: '/auth/refresh',
      headers: { cookie: cookieWith(planted), 'x-csrf-token': planted },
    })
    expect([forged.status, (forged.body as { code: string }).code]).toEqual([403, 'ERR_CSRF'])
    const guarded = await http.authenticate(
      request({ method: 'POST', path: '/api', headers: { cookie: cookieWith(planted), 'x-csrf-token': planted } }),
    )
    expect(guarded).toMatchObject({ ok: false, code: 'ERR_CSRF' })
    // Another family's genuine token does not help either.
    const other = succeeded(await http.login(request({ path: '/login' }), 'mallory'))
    const theirs = (other.response.body as { csrf_token: string }).csrf_token
    const crossed = await handle(http, {
      path: '/auth/refresh',
      headers: { cookie: cookieWith(theirs), 'x-csrf-token': theirs },
    })
    expect((crossed.body as { code: string }).code).toBe('ERR_CSRF')
    // The real one works, and the refresh answers with the same CSRF token.
    const honest = await handle(http, {
      path: '/auth/refresh',
      headers: { cookie: cookieWith(real), 'x-csrf-token': real },
    })
    expect(honest.status).toBe(200)
    expect((honest.body as { csrf_token: string }).csrf_token).toBe(real)
  })
})
