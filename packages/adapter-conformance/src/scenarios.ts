import { createPublicKey, verify } from 'node:crypto'
import { createEngine } from '@auth/core'
import { CSRF_HEADER, type Transport } from '@auth/core/http'
import { createMemoryStore } from '@auth/storage-memory'
import { expect } from 'vitest'
import type { Reply } from './client.js'
import { ADMIN_MAX_AUTH_AGE } from './harness.js'
import { AUDIENCE, type Client, challenge, expectNoLeak, ISSUER, PREFIX, SECRET, type SuiteContext } from './suite.js'

/** One behaviour every adapter must show, identically, over a real socket. */
export interface Scenario {
  readonly name: string
  readonly transports: readonly Transport[]
  run(ctx: SuiteContext): Promise<void>
}

const BOTH: readonly Transport[] = ['bearer', 'cookie']
const SECOND = 1000
const ACCESS_TTL = 600 * SECOND
const LEEWAY = 5 * SECOND
const GRACE = 10 * SECOND

/** Asserts an error reply: status, `error`, and the stable `code`. */
function expectError(reply: Reply, status: number, error: string, code?: string): void {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.json?.error, reply.text).toBe(error)
  if (code !== undefined) expect(reply.json?.code, reply.text).toBe(code)
}

/** The access token a client holds, wherever its transport keeps it. */
function accessTokenOf(ctx: SuiteContext, client: Client): string {
  const token = ctx.transport === 'bearer' ? client.accessToken : client.jar.get('access_token')
  expect(token).toBeTypeOf('string')
  return token as string
}

/** A client presenting `token` as its access token (header or cookie). */
function presenting(ctx: SuiteContext, client: Client, token: string): Client {
  const forged = client.copy()
  if (ctx.transport === 'bearer') forged.accessToken = token
  else forged.jar.set('access_token', token)
  return forged
}

/** The refresh credential a client holds (the bearer token, or the refresh cookie). */
function refreshCredentialOf(ctx: SuiteContext, client: Client): string | undefined {
  return ctx.transport === 'bearer' ? client.refreshToken : client.jar.get('refresh_token')
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'login, then a guarded route gets the claims; the bare route needs nothing',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const me = await alice.call('/me')
      expect(me.status, me.text).toBe(200)
      expect(me.json?.sub).toBe('alice')
      const claims = me.json?.claims as Record<string, unknown>
      expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', name: 'alice' })
      expect(claims.sid).toBe(me.json?.sid)
      expect(claims.exp).toBe((claims.iat as number) + 600)
      expect((await ctx.request('/bare')).status).toBe(200)
      expect(alice.tokens.expires_in).toBe(600)
      expect(alice.tokens.session_expires_at).toBeTypeOf('number')
      if (ctx.transport === 'bearer') {
        expect(alice.tokens).toMatchObject({ token_type: 'Bearer' })
        expect(alice.tokens.access_token).toBeTypeOf('string')
        expect(alice.tokens.refresh_token).toBeTypeOf('string')
        expect(alice.jar.size).toBe(0)
      } else {
        // No token is ever readable by the page: only the CSRF token is in the body.
        expect(alice.tokens.access_token).toBeUndefined()
        expect(alice.tokens.refresh_token).toBeUndefined()
        expect(alice.tokens.csrf_token).toBe(alice.jar.get('csrf_token'))
        const access = alice.jar.find('access_token')?.[1]
        const refresh = alice.jar.find('refresh_token')?.[1]
        const csrf = alice.jar.find('csrf_token')?.[1]
        expect(access).toMatchObject({ httpOnly: true, path: '/' })
        expect(access?.attributes).toMatch(/SameSite=Lax/i)
        expect(refresh).toMatchObject({ httpOnly: true, path: PREFIX })
        expect(refresh?.attributes).toMatch(/SameSite=Strict/i)
        expect(csrf).toMatchObject({ httpOnly: false, path: '/' })
        // The refresh cookie is scoped to our prefix: it never travels with the app's API calls,
        // and reaches the refresh and logout routes.
        expect(alice.jar.header('/me')).not.toMatch(/refresh_token/)
        expect(alice.jar.header(`${PREFIX}/refresh`)).toMatch(/refresh_token/)
        expect(alice.jar.header(`${PREFIX}/logout`)).toMatch(/refresh_token/)
      }
    },
  },
  {
    name: 'a claim given at login is still there after three refreshes',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      for (let i = 1; i <= 3; i++) {
        ctx.clock.advance(1000)
        const refreshed = await alice.refresh()
        expect(refreshed.status, refreshed.text).toBe(200)
        const me = await alice.call('/me')
        expect(me.status, me.text).toBe(200)
        // `name` is the app's own claim, given only to login().
        expect(me.json?.claims, `after refresh ${i}`).toMatchObject({ sub: 'alice', name: 'alice' })
      }
    },
  },
  {
    name: 'a missing token is 401 with a bare Bearer challenge',
    transports: BOTH,
    async run(ctx) {
      const reply = await ctx.request('/me')
      expectError(reply, 401, 'invalid_request', 'ERR_ACCESS_TOKEN_MISSING')
      const attributes = challenge(reply)
      expect(attributes).not.toBeNull()
      expect(attributes?.error).toBeUndefined()
    },
  },
  {
    name: 'a malformed token is 401 invalid_token',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      for (const junk of ['abc.def.ghi', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(3000)]) {
        const reply = await presenting(ctx, alice, junk).call('/me')
        expect(reply.status, reply.text).toBe(401)
        expect(reply.json?.error).toBe('invalid_token')
        expect(challenge(reply)?.error).toBe('invalid_token')
      }
      if (ctx.transport === 'bearer') {
        const spaces = await ctx.request('/me', { headers: { authorization: 'Bearer not a token' } })
        expectError(spaces, 401, 'invalid_token', 'ERR_ACCESS_TOKEN_MALFORMED')
      }
    },
  },
  {
    name: 'an expired token is 401 invalid_token',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      ctx.clock.advance(ACCESS_TTL - SECOND)
      expect((await alice.call('/me')).status).toBe(200)
      ctx.clock.advance(SECOND + LEEWAY + SECOND)
      const reply = await alice.call('/me')
      expectError(reply, 401, 'invalid_token', 'ERR_ACCESS_TOKEN_EXPIRED')
      expect(challenge(reply)?.error).toBe('invalid_token')
    },
  },
  {
    name: 'a token for another audience is 401 invalid_token',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      // Same keys and issuer, another audience: only the aud check can refuse it.
      const other = createEngine({
        store: createMemoryStore({ clock: ctx.clock }),
        issuer: ISSUER,
        audience: 'https://another-api.test',
        secret: SECRET,
        clock: ctx.clock,
      })
      const foreign = await other.issue('alice')
      const reply = await presenting(ctx, alice, foreign.accessToken).call('/me')
      expectError(reply, 401, 'invalid_token', 'ERR_ACCESS_TOKEN_INVALID')
    },
  },
  {
    name: 'freshness: a stale login gets its own code, and refreshing does not make it fresh',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      expect((await alice.call('/admin', { method: 'POST' })).status).toBe(200)
      ctx.clock.advance((ADMIN_MAX_AUTH_AGE + 1) * SECOND)
      const stale = await alice.call('/admin', { method: 'POST' })
      expectError(stale, 401, 'insufficient_user_authentication', 'ERR_AUTH_STALE')
      expect(challenge(stale)?.error).toBe('insufficient_user_authentication')
      expect((await alice.call('/me')).status).toBe(200)
      expect((await alice.refresh()).status).toBe(200)
      expectError(await alice.call('/admin', { method: 'POST' }), 401, 'insufficient_user_authentication')
      const again = await ctx.login('alice')
      expect((await again.call('/admin', { method: 'POST' })).status).toBe(200)
    },
  },
  {
    name: 'refresh rotates the family and answers in the RFC 6749 shape',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const sid = (await alice.call('/me')).json?.sid
      const before = refreshCredentialOf(ctx, alice)
      ctx.clock.advance(60 * SECOND)
      const reply = await alice.refresh()
      expect(reply.status, reply.text).toBe(200)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(reply.json?.expires_in).toBe(600)
      expect(refreshCredentialOf(ctx, alice)).not.toBe(before)
      if (ctx.transport === 'bearer') expect(reply.json?.token_type).toBe('Bearer')
      const me = await alice.call('/me')
      expect(me.status).toBe(200)
      expect(me.json?.sid).toBe(sid)
      const [family] = await ctx.engine.list('alice')
      expect(family?.generation).toBe(1)
    },
  },
  {
    name: 'under the user_agent binding, a refresh without a User-Agent is refused (400) and its replay is reuse',
    transports: ['bearer'],
    async run(ctx) {
      const alice = await ctx.login('alice')
      const first = alice.refreshToken
      const noAgent = { 'user-agent': '' }
      // The current generation without a binding: refused, nothing rotates.
      const refused = await ctx.request(`${PREFIX}/refresh`, { json: { refresh_token: first }, headers: noAgent })
      expectError(refused, 400, 'invalid_request', 'ERR_REFRESH_BINDING_MISSING')
      expect(refused.json?.error_description).toMatch(/User-Agent/)
      const [unchanged] = await ctx.engine.list('alice')
      expect(unchanged?.generation).toBe(0)
      // The honest client rotates; a replay of the old token without a User-Agent, inside the
      // grace window, matches no binding: reuse, and the family is revoked.
      expect((await alice.refresh()).status).toBe(200)
      ctx.clock.advance(GRACE / 2)
      const replay = await ctx.request(`${PREFIX}/refresh`, { json: { refresh_token: first }, headers: noAgent })
      expectError(replay, 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_REUSED')
      expect(await ctx.engine.list('alice')).toEqual([])
    },
  },
  {
    name: 'a rotated-away refresh token at /logout or /revoke, outside the grace window, is reuse: the family is revoked as reuse_detected',
    transports: ['bearer'],
    async run(ctx) {
      for (const route of ['logout', 'revoke'] as const) {
        const alice = await ctx.login('alice')
        const stale = alice.refreshToken
        expect((await alice.refresh()).status).toBe(200)
        ctx.clock.advance(GRACE * 2)
        const reply =
          route === 'logout'
            ? await ctx.request(`${PREFIX}/logout`, { json: { refresh_token: stale } })
            : await ctx.request(`${PREFIX}/revoke`, {
                body: `token=${encodeURIComponent(stale ?? '')}&token_type_hint=refresh_token`,
                contentType: 'application/x-www-form-urlencoded',
              })
        expect(reply.status, reply.text).toBeLessThan(500)
        const last = ctx.events.slice(-2).map((e) => (e.type === 'revoked' ? `revoked:${e.reason}` : e.type))
        expect(last, route).toEqual(['reuse_detected', 'revoked:reuse_detected'])
        // The honest client's current token is dead too: the family ended as reuse.
        const after = await alice.refresh()
        expectError(after, 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_REVOKED')
      }
    },
  },
  {
    name: 'a refused refresh says why the family ended (revocation_reason), only for an authentic token',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const phone = await ctx.login('alice')
      // Logout-all from the phone ends the laptop's family too.
      expect((await phone.call(`${PREFIX}/logout-all`, { method: 'POST' })).status).toBe(200)
      const refused = await alice.refresh()
      expectError(refused, 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_REVOKED')
      expect(refused.json?.revocation_reason).toBe('logout_all')
      if (ctx.transport === 'bearer') {
        const token = alice.refreshToken ?? ''
        const at = token.lastIndexOf('.') + 1 // one character of the MAC changed
        const forged = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
        const reply = await ctx.request(`${PREFIX}/refresh`, { json: { refresh_token: forged } })
        expectError(reply, 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_INVALID')
        expect(reply.json).not.toHaveProperty('revocation_reason')
      }
    },
  },
  {
    name: 'cookie mode: two cookies with one of our names, or a cross-site request, are refused with ERR_CSRF',
    transports: ['cookie'],
    async run(ctx) {
      const alice = await ctx.login('alice')
      const real = alice.jar.header('/me')
      // A planted CSRF cookie before the real ones, and a header that echoes it.
      const planted = await ctx.request(`${PREFIX}/logout-all`, {
        method: 'POST',
        headers: { cookie: `csrf_token=evil; ${real}`, [CSRF_HEADER]: 'evil' },
      })
      expectError(planted, 403, 'access_denied', 'ERR_CSRF')
      expect(planted.json?.error_description).toMatch(/two cookies named csrf_token/)
      // A planted access cookie, even on a safe method.
      const twoAccess = await ctx.request('/me', { headers: { cookie: `access_token=planted; ${real}` } })
      expectError(twoAccess, 403, 'access_denied', 'ERR_CSRF')
      // The browser says the request is cross-site: refused although the CSRF header is right.
      const crossSite = await alice.call(`${PREFIX}/logout-all`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      })
      expectError(crossSite, 403, 'access_denied', 'ERR_CSRF')
      const sameSite = await alice.call(`${PREFIX}/logout-all`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-site', origin: 'https://other.example.test' },
      })
      expectError(sameSite, 403, 'access_denied', 'ERR_CSRF')
      // Nothing was revoked; the honest same-origin request still works.
      expect((await alice.call('/me')).status).toBe(200)
      const honest = await alice.call(`${PREFIX}/logout-all`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-origin' },
      })
      expect(honest.status, honest.text).toBe(200)
    },
  },
  {
    name: 'cookie mode: logout with an expired access token works from the refresh cookie alone (with CSRF) and ends the family',
    transports: ['cookie'],
    async run(ctx) {
      const alice = await ctx.login('alice')
      ctx.clock.advance(11 * 60 * SECOND) // past the 10-minute access token
      expect((await alice.call('/me')).status).toBe(401)
      // Without the CSRF header: refused, nothing ended.
      const noCsrf = await ctx.request(`${PREFIX}/logout`, {
        method: 'POST',
        headers: { cookie: alice.jar.header(`${PREFIX}/logout`) ?? '' },
      })
      expectError(noCsrf, 403, 'access_denied', 'ERR_CSRF')
      expect(await ctx.engine.list('alice')).toHaveLength(1)
      const out = await alice.call(`${PREFIX}/logout`, { method: 'POST' })
      expect(out.status, out.text).toBe(204)
      expect(alice.jar.get('refresh_token')).toBeUndefined()
      expect(await ctx.engine.list('alice')).toEqual([])
      const last = ctx.events.at(-1)
      expect(last?.type === 'revoked' && last.reason).toBe('logout')
    },
  },
  {
    name: 'grace replay: the previous generation inside the window gets the same successor',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const otherTab = alice.copy()
      expect((await alice.refresh()).status).toBe(200)
      ctx.clock.advance(GRACE / 2)
      const replay = await otherTab.refresh()
      expect(replay.status, replay.text).toBe(200)
      expect(refreshCredentialOf(ctx, otherTab)).toBe(refreshCredentialOf(ctx, alice))
      expect((await otherTab.call('/me')).status).toBe(200)
      const [family] = await ctx.engine.list('alice')
      expect(family).toMatchObject({ generation: 1, status: 'active' })
    },
  },
  {
    name: 'reuse: the previous generation after the window revokes the family; access tokens live to exp',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const thief = alice.copy()
      expect((await alice.refresh()).status).toBe(200)
      const accessAfterRotation = accessTokenOf(ctx, alice)
      ctx.clock.advance(GRACE + SECOND)
      expectError(await thief.refresh(), 400, 'invalid_grant', 'ERR_REFRESH_TOKEN_REUSED')
      // The whole family is gone: the honest client's current token is refused too.
      expectError(await alice.refresh(), 400, 'invalid_grant')
      expect(await ctx.engine.list('alice')).toHaveLength(0)
      // Cookie mode: the refusal deletes the dead cookies from the browser.
      if (ctx.transport === 'cookie') expect(alice.jar.size + thief.jar.size).toBe(0)
      // Access tokens are stateless: one issued before the reuse stays valid until its exp unless
      // the opt-in revocation feed runs (issue 7). Refresh is what reuse detection takes away.
      const holder = presenting(ctx, await ctx.login('carol'), accessAfterRotation)
      expect((await holder.call('/me')).json?.sub).toBe('alice')
      ctx.clock.advance(ACCESS_TTL + LEEWAY)
      expectError(await holder.call('/me'), 401, 'invalid_token', 'ERR_ACCESS_TOKEN_EXPIRED')
    },
  },
  {
    name: 'logout ends this family only',
    transports: BOTH,
    async run(ctx) {
      const laptop = await ctx.login('alice')
      const phone = await ctx.login('alice')
      const out = await laptop.call(`${PREFIX}/logout`, { method: 'POST' })
      expect(out.status, out.text).toBe(204)
      if (ctx.transport === 'cookie') expect(laptop.jar.size).toBe(0)
      const refused = await laptop.refresh()
      expect(refused.status).toBe(400)
      expect((await phone.refresh()).status).toBe(200)
      expect(await ctx.engine.list('alice')).toHaveLength(1)
    },
  },
  {
    name: 'logout-all ends every family of the subject and no one else’s',
    transports: BOTH,
    async run(ctx) {
      const laptop = await ctx.login('alice')
      const phone = await ctx.login('alice')
      const bob = await ctx.login('bob')
      const out = await laptop.call(`${PREFIX}/logout-all`, { method: 'POST' })
      expect(out.status, out.text).toBe(200)
      expect(out.json?.revoked).toBe(2)
      expect((await phone.refresh()).status).toBe(400)
      expect(await ctx.engine.list('alice')).toHaveLength(0)
      expect((await bob.refresh()).status).toBe(200)
    },
  },
  {
    name: 'sessions: list and revoke your own; another user’s family is a 404 and stays alive',
    transports: BOTH,
    async run(ctx) {
      const laptop = await ctx.login('alice')
      const phone = await ctx.login('alice')
      const bob = await ctx.login('bob')
      const listed = await laptop.call(`${PREFIX}/sessions`)
      expect(listed.status, listed.text).toBe(200)
      const sessions = listed.json?.sessions as Array<Record<string, unknown>>
      expect(sessions).toHaveLength(2)
      for (const s of sessions) {
        expect(s).toMatchObject({ ip: '127.0.0.1' })
        expect(s.user_agent).toBeTypeOf('string')
        expect(s.created_at).toBeTypeOf('number')
        expect(s.last_used_at).toBeTypeOf('number')
      }
      expect(sessions.filter((s) => s.current)).toHaveLength(1)

      const bobsSessions = (await bob.call(`${PREFIX}/sessions`)).json?.sessions as Array<{ id: string }>
      const bobsId = bobsSessions[0]?.id
      expect(bobsId).toBeTypeOf('string')
      const foreign = await laptop.call(`${PREFIX}/sessions/${bobsId}`, { method: 'DELETE' })
      expectError(foreign, 404, 'not_found', 'ERR_NOT_FOUND')
      const unknown = await laptop.call(`${PREFIX}/sessions/no-such-family`, { method: 'DELETE' })
      expectError(unknown, 404, 'not_found')
      expect(unknown.json?.error_description).toBe(foreign.json?.error_description)
      expect((await bob.refresh()).status).toBe(200)

      const phoneId = sessions.find((s) => !s.current)?.id as string
      expect((await laptop.call(`${PREFIX}/sessions/${phoneId}`, { method: 'DELETE' })).status).toBe(204)
      expect((await phone.refresh()).status).toBe(400)
      expect((await laptop.refresh()).status).toBe(200)
    },
  },
  {
    name: 'CSRF: a cookie-mode unsafe request without the header, or with a wrong one, is 403',
    transports: ['cookie'],
    async run(ctx) {
      const alice = await ctx.login('alice')
      const refreshPath = `${PREFIX}/refresh`
      const bare = await ctx.request(refreshPath, { method: 'POST', jar: alice.jar })
      expectError(bare, 403, 'access_denied', 'ERR_CSRF')
      const wrong = await ctx.request(refreshPath, {
        method: 'POST',
        jar: alice.jar,
        headers: { 'x-csrf-token': 'A'.repeat(43) },
      })
      expectError(wrong, 403, 'access_denied', 'ERR_CSRF')
      expectError(await ctx.request('/admin', { method: 'POST', jar: alice.jar }), 403, 'access_denied', 'ERR_CSRF')
      expectError(
        await ctx.request(`${PREFIX}/logout-all`, { method: 'POST', jar: alice.jar }),
        403,
        'access_denied',
        'ERR_CSRF',
      )
      // Safe methods need no header; the refusals above burned nothing.
      expect((await ctx.request('/me', { jar: alice.jar })).status).toBe(200)
      expect((await alice.refresh()).status).toBe(200)
    },
  },
  {
    name: 'bodies: oversized is 413, a wrong content type 415, garbage JSON 400, a wrong method 405',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const refresh = `${PREFIX}/refresh`
      const justOver = 'x'.repeat(ctx.http.bodyLimit + 1)
      const tooBig = await alice.call(refresh, { body: justOver, contentType: 'application/json' })
      expectError(tooBig, 413, 'invalid_request', 'ERR_BODY_TOO_LARGE')
      const huge = await alice.call(refresh, { body: 'x'.repeat(2 * 1024 * 1024), contentType: 'application/json' })
      expectError(huge, 413, 'invalid_request')
      for (const contentType of ['text/plain', 'application/xml', 'garbage']) {
        const reply = await alice.call(refresh, { body: 'refresh_token=x', contentType })
        expect(reply.status, `${contentType}: ${reply.text}`).toBe(415)
      }
      expectError(
        await alice.call(refresh, { body: '{"refresh_token":', contentType: 'application/json' }),
        400,
        'invalid_request',
        'ERR_BAD_REQUEST',
      )
      expectError(
        await alice.call(`${PREFIX}/revoke`, { body: '[1,2', contentType: 'application/json' }),
        400,
        'invalid_request',
      )
      const grant = await alice.call(refresh, {
        body: 'grant_type=password',
        contentType: 'application/x-www-form-urlencoded',
      })
      expectError(grant, 400, 'unsupported_grant_type')
      const get = await alice.call(refresh)
      expect(get.status).toBe(405)
      expect(get.headers.get('allow')).toBe('POST')
      // Nothing above disturbed the session.
      expect((await alice.refresh()).status).toBe(200)
    },
  },
  {
    name: 'JWKS serves public keys only, and they verify our access tokens',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const reply = await ctx.request(`${PREFIX}/jwks`)
      expect(reply.status).toBe(200)
      const keys = reply.json?.keys as Array<Record<string, unknown>>
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys)
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret)
      const token = accessTokenOf(ctx, alice)
      const [header = '', payload = '', signature = ''] = token.split('.')
      const { kid, alg, typ } = JSON.parse(Buffer.from(header, 'base64url').toString())
      expect(typ).toBe('at+jwt')
      const jwk = keys.find((k) => k.kid === kid)
      expect(jwk, `kid ${kid} is in the JWKS`).toBeDefined()
      expect(alg).toBe('EdDSA')
      const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
      const valid = verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))
      expect(valid).toBe(true)
    },
  },
  {
    name: 'hostile requests to every route never get a 5xx, a hang or a stack trace',
    transports: BOTH,
    async run(ctx) {
      const alice = await ctx.login('alice')
      const paths = [
        'refresh',
        'logout',
        'logout-all',
        'sessions',
        'sessions/%ZZ',
        'sessions/..',
        'revoke',
        'jwks',
        'nope',
      ]
      // Paths that are not ours (or that the framework refuses to decode) get the framework's own answer.
      const frameworks = new Set(['sessions/%ZZ', 'sessions/..', 'nope'])
      const bodies: Array<[string, string | undefined]> = [
        ['application/json', '{}'],
        ['application/json', '[]'],
        ['application/json', 'null'],
        ['application/json', '{"refresh_token":123,"token":{"a":1}}'],
        ['application/json', '{"__proto__":{"admin":true},"refresh_token":"a.b"}'],
        ['application/json', '\u0000\uffff'],
        ['application/x-www-form-urlencoded', 'grant_type=refresh_token&refresh_token=a&refresh_token=b'],
        ['application/x-www-form-urlencoded', 'token=%ZZ'],
        ['multipart/form-data; boundary=x', '--x--'],
      ]
      const auth = [undefined, 'Bearer', 'Bearer a.b.c', 'Basic YTpi', `Bearer ${'a'.repeat(9000)}`]
      let i = 0
      for (const path of paths) {
        for (const method of ['GET', 'POST', 'DELETE', 'PUT']) {
          const [contentType, body] = method === 'GET' ? [undefined, undefined] : (bodies[i % bodies.length] ?? [])
          const authorization = auth[i % auth.length]
          i++
          const send = frameworks.has(path) ? ctx.raw : ctx.request
          const reply = await send(`${PREFIX}/${path}`, {
            method,
            jar: alice.jar,
            ...(body === undefined ? {} : { body }),
            ...(contentType === undefined ? {} : { contentType }),
            headers: {
              ...(authorization === undefined ? {} : { authorization }),
              'x-csrf-token': i % 2 ? 'junk' : (alice.jar.get('csrf_token') ?? ''),
            },
          })
          expectNoLeak(reply)
          expect(reply.status, `${method} ${path}`).toBeGreaterThanOrEqual(200)
        }
      }
      // Some of the above legitimately logged alice out (a logout with her valid CSRF token); the app still serves.
      const again = await ctx.login('alice')
      expect((await again.call('/me')).status).toBe(200)
    },
  },
]
