import { createPublicKey, randomBytes } from 'node:crypto'
import { type AdapterUnderTest, expressAdapter, fastifyAdapter, honoAdapter } from '@auth/adapter-conformance'
import { CSRF_HEADER, type Transport } from '@auth/core/http'
import { encodeRefreshToken } from '@auth/core/tokens'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AUDIENCE,
  attackerRsa,
  eddsa,
  goodClaims,
  type HostileApp,
  type HostileKeys,
  hs256,
  jws,
  makeKeys,
  rs256,
  startHostileApp,
} from '../src/hostile-app.js'
import { expectNoLeak, expectOurRefusal, type RawReply, rawHttp } from '../src/raw-http.js'

const ADAPTERS: readonly AdapterUnderTest[] = [expressAdapter, fastifyAdapter, honoAdapter]
const UA = 'HostileSuite/1.0'
const ACCESS_CODES = ['ERR_ACCESS_TOKEN_MALFORMED', 'ERR_ACCESS_TOKEN_INVALID', 'ERR_ACCESS_TOKEN_EXPIRED']
const REFRESH_CODES = ['ERR_REFRESH_TOKEN_MALFORMED', 'ERR_REFRESH_TOKEN_INVALID', 'ERR_BAD_REQUEST']

let keys: HostileKeys
beforeAll(() => {
  keys = makeKeys()
})

interface Login {
  readonly familyId: string
  readonly accessToken: string
  readonly refreshToken: string
  /** Cookie mode: `name=value` pairs as the browser would send them, and the CSRF token. */
  readonly cookies: Record<string, string>
}

async function login(app: HostileApp, username: string): Promise<Login> {
  const reply = await rawHttp(app.port, {
    method: 'POST',
    path: '/login',
    headers: [
      ['Content-Type', 'application/json'],
      ['User-Agent', UA],
    ],
    body: JSON.stringify({ username }),
  })
  expect(reply.status, reply.body).toBe(200)
  const cookies: Record<string, string> = {}
  // rawHttp keeps one value per header name; read Set-Cookie from a fetch instead when in cookie mode.
  if (app.transport === 'cookie') {
    const response = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': UA },
      body: JSON.stringify({ username }),
    })
    expect(response.status).toBe(200)
    for (const header of response.headers.getSetCookie()) {
      // A deletion (Max-Age=0: the refresh cookie's old path) is not a cookie the browser keeps.
      if (/;\s*max-age=0(;|$)/i.test(header)) continue
      const pair = header.split(';', 1)[0] as string
      const eq = pair.indexOf('=')
      cookies[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1))
    }
    const refresh = cookieValue(cookies, 'refresh_token')
    const inspected = await app.engine.inspectRefreshToken(refresh)
    expect(inspected.ok).toBe(true)
    return {
      familyId: inspected.ok ? inspected.familyId : '',
      accessToken: cookieValue(cookies, 'access_token'),
      refreshToken: refresh,
      cookies,
    }
  }
  const json = reply.json as Record<string, unknown>
  const inspected = await app.engine.inspectRefreshToken(json.refresh_token as string)
  return {
    familyId: inspected.ok ? inspected.familyId : '',
    accessToken: json.access_token as string,
    refreshToken: json.refresh_token as string,
    cookies,
  }
}

function cookieValue(cookies: Record<string, string>, suffix: string): string {
  const entry = Object.entries(cookies).find(([name]) => name.endsWith(suffix))
  expect(entry, `cookie ${suffix}`).toBeDefined()
  return (entry as [string, string])[1]
}

function cookieName(cookies: Record<string, string>, suffix: string): string {
  return Object.keys(cookies).find((name) => name.endsWith(suffix)) as string
}

const bearer = (app: HostileApp, path: string, token: string | Uint8Array, method = 'GET') =>
  rawHttp(app.port, {
    method,
    path,
    headers: [
      ['Authorization', typeof token === 'string' ? `Bearer ${token}` : Buffer.concat([Buffer.from('Bearer '), token])],
    ],
  })

const refreshJson = (app: HostileApp, body: string | Uint8Array, contentType = 'application/json') =>
  rawHttp(app.port, {
    method: 'POST',
    path: '/auth/refresh',
    headers: [
      ['Content-Type', contentType],
      ['User-Agent', UA],
    ],
    body,
  })

/** Every kind of access token an attacker can make without our private keys, plus ones only our key could sign but that break a rule. */
function hostileAccessTokens(real: string): [string, string][] {
  const [h = '', p = '', s = ''] = real.split('.')
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
  const rsaPem = keys.rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string
  const rsaDer = keys.rsa.publicKey.export({ type: 'spki', format: 'der' })
  const rsaJwk = JSON.stringify(keys.rsa.publicKey.export({ format: 'jwk' }))
  const edJwk = keys.ed.publicKey.export({ format: 'jwk' }) as { x: string }
  const edPem = keys.ed.publicKey.export({ type: 'spki', format: 'pem' }) as string
  const attacker = attackerRsa()
  const attackerJwk = createPublicKey(attacker).export({ format: 'jwk' })
  const ours = rs256(keys.rsa.privateKey)
  const tokens: [string, string][] = []
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    tokens.push([`alg ${alg}, no signature`, jws({ ...header, alg }, payload, null)])
    tokens.push([`alg ${alg}, the real signature kept`, `${jws({ ...header, alg }, payload, null)}${s}`])
    tokens.push([`alg ${alg}, no kid`, jws({ alg, typ: 'at+jwt' }, payload, null)])
  }
  tokens.push(
    ['HS256 keyed with the RSA public key (PEM)', jws({ ...header, alg: 'HS256' }, payload, hs256(rsaPem))],
    ['HS256 keyed with the RSA public key (DER)', jws({ ...header, alg: 'HS256' }, payload, hs256(rsaDer))],
    ['HS256 keyed with the RSA public JWK', jws({ ...header, alg: 'HS256' }, payload, hs256(rsaJwk))],
    [
      'HS256 keyed with the Ed25519 public key (raw x)',
      jws({ alg: 'HS256', typ: 'at+jwt', kid: 'ed-1' }, payload, hs256(Buffer.from(edJwk.x, 'base64url'))),
    ],
    [
      'HS256 keyed with the Ed25519 public key (PEM)',
      jws({ alg: 'HS256', typ: 'at+jwt', kid: 'ed-1' }, payload, hs256(edPem)),
    ],
    ['HS256 keyed with the empty string', jws({ ...header, alg: 'HS256' }, payload, hs256(''))],
    [
      'EdDSA header on the RSA kid, signed by our Ed25519 key',
      jws({ ...header, alg: 'EdDSA' }, payload, eddsa(keys.ed.privateKey)),
    ],
    ['RS256 header on the Ed25519 kid, signed by our RSA key', jws({ ...header, kid: 'ed-1' }, payload, ours)],
    ['ES256 with a junk signature', jws({ ...header, alg: 'ES256' }, payload, () => randomBytes(64))],
    ['unknown kid', jws({ ...header, kid: 'rs-2' }, payload, rs256(attacker))],
    ['no kid, signed by an attacker', jws({ alg: 'RS256', typ: 'at+jwt' }, payload, rs256(attacker))],
    ['our kid, signed by an attacker', jws(header, payload, rs256(attacker))],
    ['kid as a path', jws({ ...header, kid: '../../../../etc/passwd' }, payload, rs256(attacker))],
    ['kid as a number', jws({ ...header, kid: 1 }, payload, ours)],
    ['kid as an object', jws({ ...header, kid: { $ne: null } }, payload, ours)],
    ['kid of 4 KB', jws({ ...header, kid: 'k'.repeat(4096) }, payload, ours)],
    ['typ JWT (our key)', jws({ ...header, typ: 'JWT' }, payload, ours)],
    ['no typ (our key)', jws({ alg: 'RS256', kid: 'rs-1' }, payload, ours)],
    ['typ as an array (our key)', jws({ ...header, typ: ['at+jwt'] }, payload, ours)],
    [
      'embedded jwk (attacker key), no kid',
      jws({ alg: 'RS256', typ: 'at+jwt', jwk: attackerJwk }, payload, rs256(attacker)),
    ],
    ['embedded jwk (attacker key), our kid', jws({ ...header, jwk: attackerJwk }, payload, rs256(attacker))],
    ['jku to an attacker JWKS', jws({ ...header, jku: 'http://127.0.0.1:1/jwks.json' }, payload, rs256(attacker))],
    ['x5u to an attacker chain', jws({ ...header, x5u: 'http://127.0.0.1:1/cert.pem' }, payload, rs256(attacker))],
    ['x5c with junk', jws({ ...header, x5c: [randomBytes(300).toString('base64')] }, payload, rs256(attacker))],
    ['crit with an unknown extension', jws({ ...header, crit: ['zip'], zip: 'DEF' }, payload, rs256(attacker))],
    ['b64 false (RFC 7797)', jws({ ...header, b64: false, crit: ['b64'] }, payload, rs256(attacker))],
    ['expired an hour ago (our key)', jws(header, goodClaims({ exp: Math.floor(Date.now() / 1000) - 3600 }), ours)],
    ['exp as a string (our key)', jws(header, goodClaims({ exp: '9999999999' }), ours)],
    ['exp missing (our key)', jws(header, goodClaims({ exp: undefined }), ours)],
    ['wrong aud (our key)', jws(header, goodClaims({ aud: 'https://evil.test' }), ours)],
    ['aud as an object (our key)', jws(header, goodClaims({ aud: { [AUDIENCE]: true } }), ours)],
    ['wrong iss (our key)', jws(header, goodClaims({ iss: 'https://evil.test' }), ours)],
    ['iss missing (our key)', jws(header, goodClaims({ iss: undefined }), ours)],
    ['sub as a number (our key)', jws(header, goodClaims({ sub: 42 }), ours)],
    ['sid missing (our key)', jws(header, goodClaims({ sid: undefined }), ours)],
    ['nbf in the future (our key)', jws(header, goodClaims({ nbf: Math.floor(Date.now() / 1000) + 3600 }), ours)],
    ['payload a JSON string (our key)', jws(header, '"hello"', ours)],
    ['payload not JSON (our key)', jws(header, '{"sub":', ours)],
    ['payload an array (our key)', jws(header, '[1,2,3]', ours)],
    ['header not JSON', `${Buffer.from('{"alg":').toString('base64url')}.${p}.${s}`],
    ['header an array', `${Buffer.from('["RS256"]').toString('base64url')}.${p}.${s}`],
    ['JWS JSON serialization', JSON.stringify({ protected: h, payload: p, signature: s })],
    [
      'JWS JSON serialization, base64url',
      Buffer.from(JSON.stringify({ protected: h, payload: p, signature: s })).toString('base64url'),
    ],
    ['base64 (not url) characters', `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+/`],
    ['padding', `${h}==.${p}.${s}=`],
    ['a space inside', `${h}.${p.slice(0, 10)} ${p.slice(10)}.${s}`],
    ['a percent sign', `${h}.${p}.%${s}`],
    ['two segments', `${h}.${p}`],
    ['four segments', `${h}.${p}.${s}.${s}`],
    ['five segments (JWE shape)', `${h}.${p}.${s}.${s}.${s}`],
    ['empty segments', '..'],
    ['only dots', '.'.repeat(200)],
    ['the signature truncated', `${h}.${p}.${s.slice(0, -2)}`],
    ['the signature of another token', `${h}.${b64(goodClaims())}.${s}`],
    ['12 KB of base64url', 'A'.repeat(12 * 1024)],
  )
  return tokens
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Same length, one character moved to its neighbour in the base64url alphabet (a bit flip that stays well-formed). */
function flipChar(token: string, at: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const c = token[at] as string
  const i = alphabet.indexOf(c)
  const next = i < 0 ? (c === '.' ? '_' : 'A') : (alphabet[i ^ 1] as string)
  return token.slice(0, at) + next + token.slice(at + 1)
}

describe.each(ADAPTERS)('hostile input over HTTP on $name (real listening server)', (adapter) => {
  const apps = new Map<Transport, HostileApp>()
  const app = (transport: Transport) => apps.get(transport) as HostileApp
  beforeAll(async () => {
    apps.set('bearer', await startHostileApp(adapter, 'bearer', keys))
    apps.set('cookie', await startHostileApp(adapter, 'cookie', keys))
  })
  afterAll(async () => {
    for (const running of apps.values()) await running.close()
  })

  it('forged, malformed and algorithm-confused access tokens: 401 invalid_token with a stable code', async () => {
    const a = app('bearer')
    const alice = await login(a, 'alice')
    expect((await bearer(a, '/me', alice.accessToken)).status).toBe(200)
    for (const [what, token] of hostileAccessTokens(alice.accessToken)) {
      for (const path of ['/me', '/auth/sessions']) {
        const reply = await bearer(a, path, token)
        expectOurRefusal(reply, `${what} on ${path}`, 401, ACCESS_CODES)
        expect(reply.json?.error, what).toBe('invalid_token')
        expect(reply.headers['www-authenticate'] ?? '', what).toMatch(/^Bearer /)
      }
    }
    // Tokens the guard cannot tell from garbage before reading: a 1 MB one (the server's own header limit) and raw bytes.
    expectNoLeak(await bearer(a, '/me', 'A'.repeat(1024 * 1024)), '1 MB token')
    const bytes = await bearer(a, '/me', Buffer.from([0xff, 0xfe, 0x80, 0x01, 0x7f, 0xc3, 0x28]))
    expectNoLeak(bytes, 'non-UTF-8 bytes in the token')
    expect(bytes.status).toBeGreaterThanOrEqual(400)
    expect((await bearer(a, '/me', alice.accessToken)).status, 'the real token still works').toBe(200)
  })

  it('forged refresh tokens (truncated, flipped bits, foreign family, future generation) are refused and change no family', async () => {
    const a = app('bearer')
    const alice = await login(a, 'alice')
    const bob = await login(a, 'bob')
    const rotated = await refreshJson(a, JSON.stringify({ refresh_token: alice.refreshToken }))
    expect(rotated.status).toBe(200)
    const current = rotated.json?.refresh_token as string
    const before = await a.store.get(alice.familyId)
    const bobBefore = await a.store.get(bob.familyId)
    expect(before?.generation).toBe(1)

    const [, kid, familyId, generation, mac] = current.split('.') as string[]
    const bobParts = bob.refreshToken.split('.')
    const foreignEngine = await startHostileApp(adapter, 'bearer', makeKeys())
    const foreign = await login(foreignEngine, 'alice').finally(() => foreignEngine.close())
    const nonce = (before?.nonce ?? '') as string
    const forged: [string, string, string[]][] = [
      ['truncated by one', current.slice(0, -1), REFRESH_CODES],
      ['truncated to half', current.slice(0, current.length >> 1), REFRESH_CODES],
      ['the prefix only', 'rt1.', REFRESH_CODES],
      ['another family’s MAC spliced on', `rt1.${kid}.${familyId}.${generation}.${bobParts[4]}`, REFRESH_CODES],
      ['this family’s id on another’s token', `rt1.${kid}.${familyId}.${bobParts[3]}.${bobParts[4]}`, REFRESH_CODES],
      ['a foreign family (another deployment)', foreign.refreshToken, REFRESH_CODES],
      ['an unknown MAC key', `rt1.r2.${familyId}.${generation}.${mac}`, REFRESH_CODES],
      ['a future generation, wrong MAC', `rt1.${kid}.${familyId}.${Number(generation) + 3}.${mac}`, REFRESH_CODES],
      ['a huge generation', `rt1.${kid}.${familyId}.99999999999999999999.${mac}`, REFRESH_CODES],
      ['another version', `rt2.${kid}.${familyId}.${generation}.${mac}`, REFRESH_CODES],
      ['an access token (at the refresh route)', alice.accessToken, REFRESH_CODES],
      ['257 characters', `rt1.${'a'.repeat(253)}`, REFRESH_CODES],
      [
        // Only someone holding both the MAC key and the store's nonce could make this one: it is authentic, yet
        // names a generation that was never issued, so it is refused without touching the family.
        'a future generation, authentic MAC',
        await encodeRefreshToken({ kid: 'r1', familyId: familyId as string, generation: 7 }, keys.refreshSecret, nonce),
        ['ERR_REFRESH_TOKEN_INVALID'],
      ],
    ]
    for (let at = 0; at < current.length; at++) forged.push([`flipped at ${at}`, flipChar(current, at), REFRESH_CODES])
    for (const at of [0, 5, 30, 60, current.length - 1]) {
      const raw = Buffer.from(current)
      raw[at] = (raw[at] as number) ^ 0x80
      forged.push([`high bit flipped at ${at}`, raw.toString('latin1'), REFRESH_CODES])
    }
    for (const [what, token, codes] of forged) {
      const json = await refreshJson(a, JSON.stringify({ refresh_token: token }))
      expectOurRefusal(json, `${what} (JSON)`, 400, codes)
      const form = await refreshJson(
        a,
        `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
        'application/x-www-form-urlencoded',
      )
      expectOurRefusal(form, `${what} (form)`, 400, codes)
      expect(['invalid_grant', 'invalid_request'], what).toContain(form.json?.error)
      // RFC 7009 revocation takes access tokens too (it ends their family), and it ends the family of any
      // authentic refresh token, whatever generation it names; only forgeries go there.
      if (token === alice.accessToken || what === 'a future generation, authentic MAC') continue
      const revoke = await rawHttp(a.port, {
        method: 'POST',
        path: '/auth/revoke',
        headers: [['Content-Type', 'application/json']],
        body: JSON.stringify({ token }),
      })
      expectNoLeak(revoke, `${what} (RFC 7009 revoke)`)
      expect(revoke.status, `${what}: ${revoke.body}`).toBeLessThan(500)
      expect(await a.store.get(alice.familyId), `${what} changed the family`).toEqual(before)
    }
    expect(await a.store.get(alice.familyId), 'a forged token changed the family').toEqual(before)
    expect(await a.store.get(bob.familyId), 'a forged token changed another family').toEqual(bobBefore)
    // The owner is unaffected.
    expect((await refreshJson(a, JSON.stringify({ refresh_token: current }))).status).toBe(200)
  })

  it('oversized headers, cookies and bodies: a 4xx (ours or the server’s 431), never a 5xx or a hang', async () => {
    const a = app('bearer')
    const alice = await login(a, 'alice')
    const big = 'x'.repeat(64 * 1024)
    const headerCases: [string, (readonly [string, string])[]][] = [
      ['a 64 KB header', [['X-Big', big]]],
      ['a 64 KB cookie', [['Cookie', `refresh_token=${big}`]]],
      ['2,000 headers', Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'] as const)],
      ['a 1 MB bearer token', [['Authorization', `Bearer ${'A'.repeat(1024 * 1024)}`]]],
    ]
    for (const [what, headers] of headerCases) {
      for (const [method, path] of [
        ['GET', '/me'],
        ['POST', '/auth/refresh'],
      ] as const) {
        const reply = await rawHttp(a.port, { method, path, headers })
        expectNoLeak(reply, `${what} on ${path}`)
        expect(reply.status, `${what} on ${path}`).toBeGreaterThanOrEqual(400)
      }
    }
    for (const path of ['/auth/refresh', '/auth/revoke', '/auth/logout', '/auth/logout-all']) {
      for (const size of [16 * 1024 + 1, 1024 * 1024, 8 * 1024 * 1024]) {
        const body = `{"refresh_token":"${'a'.repeat(size)}"}`
        const reply = await rawHttp(a.port, {
          method: 'POST',
          path,
          headers: [
            ['Content-Type', 'application/json'],
            ['Authorization', `Bearer ${alice.accessToken}`],
          ],
          body,
        })
        expectOurRefusal(reply, `${size} bytes to ${path}`, 413, 'ERR_BODY_TOO_LARGE')
      }
    }
    expect((await bearer(a, '/me', alice.accessToken)).status).toBe(200)
  })

  it('wrong content types: 415 (or 400), and the refresh token is not used up', async () => {
    const a = app('bearer')
    const alice = await login(a, 'alice')
    const before = await a.store.get(alice.familyId)
    const json = JSON.stringify({ refresh_token: alice.refreshToken })
    const cases: [string, string | Uint8Array, number[]][] = [
      ['text/plain', json, [415]],
      ['application/xml', `<refresh_token>${alice.refreshToken}</refresh_token>`, [415]],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="refresh_token"\r\n\r\n${alice.refreshToken}\r\n--x--`,
        [415],
      ],
      ['application/json-patch+json', json, [415]],
      ['application/jsonx', json, [415]],
      ['text/json', json, [415]],
      ['*/*', json, [415]],
      ['application/json; charset=utf-16', Buffer.from(json, 'utf16le'), [400]],
      ['application/x-www-form-urlencoded', json, [400]],
      ['application/json', `refresh_token=${alice.refreshToken}`, [400]],
      ['', json, [415]],
      ['application/json, text/plain', json, [415]],
      ['\u00e9', json, [415, 400]],
    ]
    for (const [contentType, body, statuses] of cases) {
      const reply = await refreshJson(a, body, contentType)
      expectOurRefusal(reply, `content type ${JSON.stringify(contentType)}`)
      expect(statuses, `${contentType}: ${reply.body}`).toContain(reply.status)
    }
    expect(await a.store.get(alice.familyId), 'a refused request used the token').toEqual(before)
    expect((await refreshJson(a, json)).status).toBe(200)
  })

  it('JSON with duplicate keys or 10,000 levels of nesting: 400/413 and the family untouched', async () => {
    const a = app('bearer')
    const alice = await login(a, 'alice')
    const before = await a.store.get(alice.familyId)
    const rt = alice.refreshToken
    const cases: [string, string, number[]][] = [
      ['duplicate refresh_token, valid last', `{"refresh_token":"junk","refresh_token":"${rt}"}`, [400]],
      ['duplicate refresh_token, valid first', `{"refresh_token":"${rt}","refresh_token":"junk"}`, [400]],
      ['duplicate refresh_token, one escaped', `{"refresh_token":"junk","refresh\\u005ftoken":"${rt}"}`, [400]],
      ['duplicate grant_type', `{"grant_type":"password","grant_type":"refresh_token","refresh_token":"junk"}`, [400]],
      ['10,000 nested arrays', `{"refresh_token":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, [400, 413]],
      ['10,000 nested objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, [400, 413]],
      ['8,000 nested arrays (under the limit)', `{"x":${'['.repeat(8_000)}${']'.repeat(8_000)}}`, [400]],
      ['unclosed nesting', `{"refresh_token":${'['.repeat(8_000)}`, [400]],
      ['__proto__ pollution', `{"__proto__":{"refresh_token":"${rt}"}}`, [400]],
      ['constructor pollution', `{"constructor":{"prototype":{"refresh_token":"${rt}"}}}`, [400]],
      ['refresh_token an object', `{"refresh_token":{"toString":"${rt}"}}`, [400]],
      ['refresh_token an array', `{"refresh_token":["${rt}"]}`, [400]],
      ['a lone surrogate', `{"refresh_token":"\\ud800"}`, [400]],
      ['a BOM first', `\ufeff{"refresh_token":"junk"}`, [400]],
      ['NaN', `{"refresh_token":NaN}`, [400]],
      ['a 1e400 number', `{"refresh_token":1e400}`, [400]],
    ]
    for (const [what, body, statuses] of cases) {
      const reply = await refreshJson(a, body)
      expectOurRefusal(reply, what)
      expect(statuses, `${what}: ${reply.body}`).toContain(reply.status)
    }
    expect(await a.store.get(alice.familyId), 'the family changed').toEqual(before)
    expect((await refreshJson(a, JSON.stringify({ refresh_token: rt }))).status).toBe(200)
  })

  it('unicode, control characters and junk in cookies: a 4xx, never a 5xx; a forged refresh cookie changes nothing', async () => {
    const c = app('cookie')
    const alice = await login(c, 'alice')
    const before = await c.store.get(alice.familyId)
    const csrf = cookieValue(alice.cookies, 'csrf_token')
    const csrfName = cookieName(alice.cookies, 'csrf_token')
    const refreshName = cookieName(alice.cookies, 'refresh_token')
    const accessName = cookieName(alice.cookies, 'access_token')
    const junk: [string, Uint8Array | string][] = [
      ['raw UTF-8 emoji', Buffer.from('💥🔑', 'utf8')],
      ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xc3, 0x28])],
      ['control characters', Buffer.from([0x01, 0x02, 0x1b, 0x7f])],
      ['a NUL', Buffer.from([0x61, 0x00, 0x62])],
      ['percent junk', '%ZZ%00%C0%AF%'],
      ['encoded emoji', encodeURIComponent('💥')],
      ['quotes', '"rt1.a.b.c"'],
      ['separators', '=;=;;,,'],
      ['a flipped refresh token', flipChar(alice.refreshToken, 40)],
      ['a truncated refresh token', alice.refreshToken.slice(0, 30)],
      ['tab and space', ' \t rt1 \t '],
    ]
    for (const [what, value] of junk) {
      const cookieFor = (name: string) =>
        Buffer.concat([Buffer.from(`${csrfName}=${csrf}; ${name}=`), Buffer.from(value)])
      const refresh = await rawHttp(c.port, {
        method: 'POST',
        path: '/auth/refresh',
        headers: [
          ['Cookie', cookieFor(refreshName)],
          [CSRF_HEADER, csrf],
          ['User-Agent', UA],
        ],
      })
      expectNoLeak(refresh, `${what} in the refresh cookie`)
      expect(refresh.status, `${what}: ${refresh.body}`).toBeGreaterThanOrEqual(400)
      const guard = await rawHttp(c.port, { method: 'GET', path: '/me', headers: [['Cookie', cookieFor(accessName)]] })
      expectNoLeak(guard, `${what} in the access cookie`)
      expect(guard.status, `${what}: ${guard.body}`).toBeGreaterThanOrEqual(400)
      // Junk CSRF cookie against the real header, and the real cookie against a junk header: both refused.
      // (The same junk in both would pass double-submit, as any equal pair does: the defence is that
      // another site cannot set our cookie.)
      for (const [cookie, header] of [
        [Buffer.concat([Buffer.from(`${refreshName}=${alice.refreshToken}; ${csrfName}=`), Buffer.from(value)]), csrf],
        [`${refreshName}=${alice.refreshToken}; ${csrfName}=${csrf}`, value],
      ] as const) {
        const csrfJunk = await rawHttp(c.port, {
          method: 'POST',
          path: '/auth/refresh',
          headers: [
            ['Cookie', cookie],
            [CSRF_HEADER, header],
          ],
        })
        expectNoLeak(csrfJunk, `${what} in the CSRF cookie or header`)
        expect(csrfJunk.status, `${what}: ${csrfJunk.body}`).toBeGreaterThanOrEqual(400)
      }
    }
    const many = Array.from({ length: 500 }, (_, i) => `c${i}=${'v'.repeat(20)}`).join('; ')
    expectNoLeak(await rawHttp(c.port, { method: 'GET', path: '/me', headers: [['Cookie', many]] }), '500 cookies')
    expect(await c.store.get(alice.familyId), 'junk cookies changed the family').toEqual(before)
    const ok = await rawHttp(c.port, {
      method: 'POST',
      path: '/auth/refresh',
      headers: [
        ['Cookie', `${csrfName}=${csrf}; ${refreshName}=${alice.refreshToken}`],
        [CSRF_HEADER, csrf],
        ['User-Agent', UA],
      ],
    })
    expect(ok.status, ok.body).toBe(200)
  })

  it('property: random bytes and strings at the refresh route and the guard never get a 5xx, a hang or a stack', async () => {
    const a = app('bearer')
    const c = app('cookie')
    const alice = await login(a, 'alice')
    const aliceBefore = await a.store.get(alice.familyId)
    const noCrLf = (bytes: Uint8Array) => Buffer.from(bytes.filter((b) => b !== 0x0d && b !== 0x0a))
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }))
    const bytes = fc.uint8Array({ maxLength: 2048 })
    const tokenish = fc.oneof(
      text,
      fc.constant(alice.refreshToken).chain((t) => fc.nat(t.length - 1).map((at) => flipChar(t, at))),
      fc.constant(alice.accessToken).chain((t) => fc.nat(t.length - 1).map((at) => t.slice(0, at))),
    )
    const request = fc.record({
      target: fc.constantFrom('refresh', 'guard'),
      transport: fc.constantFrom<Transport>('bearer', 'cookie'),
      contentType: fc.oneof(
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data'),
        text,
      ),
      body: fc.oneof(
        bytes,
        tokenish.map((t) => JSON.stringify({ refresh_token: t })),
        tokenish.map((t) => `grant_type=refresh_token&refresh_token=${t}`),
        fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
      ),
      credential: fc.oneof(
        tokenish.map((t) => Buffer.from(t)),
        bytes.map(noCrLf),
      ),
      extra: fc.option(
        fc.tuple(fc.constantFrom('Cookie', 'Authorization', 'User-Agent', CSRF_HEADER), bytes.map(noCrLf)),
      ),
    })
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const target = r.transport === 'bearer' ? a : c
        const headers: (readonly [string, string | Uint8Array])[] = []
        if (r.transport === 'bearer') {
          headers.push(['Authorization', Buffer.concat([Buffer.from('Bearer '), r.credential])])
        } else {
          headers.push([
            'Cookie',
            Buffer.concat([Buffer.from(r.target === 'refresh' ? 'refresh_token=' : 'access_token='), r.credential]),
          ])
        }
        if (r.extra !== null) headers.push(r.extra)
        const reply: RawReply =
          r.target === 'refresh'
            ? await rawHttp(target.port, {
                method: 'POST',
                path: '/auth/refresh',
                headers: [...headers, ['Content-Type', noCrLf(Buffer.from(r.contentType))]],
                body: r.body,
              })
            : await rawHttp(target.port, { method: 'GET', path: '/me', headers })
        expectNoLeak(reply, `${r.target} ${r.transport}`)
        expect(reply.status).toBeGreaterThanOrEqual(400)
      }),
      { numRuns: 200 },
    )
    expect(await a.store.get(alice.familyId), 'random input changed a family').toEqual(aliceBefore)
    expect((await bearer(a, '/me', alice.accessToken)).status).toBe(200)
  }, 60_000)
})
