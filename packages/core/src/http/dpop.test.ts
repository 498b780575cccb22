// DPoP through the http layer (issue 15), with real proofs made by jose: the login helper binds
// a family to the proof's key, the refresh route needs a proof by it (none: refused, nothing
// revoked; another key: reuse; a replayed or misdirected proof: refused), the guards take
// `Authorization: DPoP` with `ath` and answer `WWW-Authenticate: DPoP`, and the metadata says so.
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Engine } from '../engine/types.js'
import { createTestEngine } from '../testing/index.js'
import { accessTokenHash } from '../tokens/dpop.js'
import { createVerifier } from '../verifier/verifier.js'
import { createAuthHttp } from './http.js'
import type { AuthHttpOptions } from './options.js'
import type { AuthHttp, AuthRequest } from './types.js'

const ORIGIN = 'https://auth.example.test'

interface Key {
  readonly privateKey: CryptoKey
  readonly jwk: JWK
}
let mine: Key
let thief: Key
beforeAll(async () => {
  const make = async (): Promise<Key> => {
    const pair = await generateKeyPair('ES256')
    return { privateKey: pair.privateKey as CryptoKey, jwk: await exportJWK(pair.publicKey) }
  }
  ;[mine, thief] = [await make(), await make()]
})

/** A DPoP proof by `key` for `method` and `url`, at `now` (ms), with `ath` for an access token. */
async function proof(key: Key, method: string, url: string, now: number, accessToken?: string, jti?: string) {
  const claims: Record<string, unknown> = {
    jti: jti ?? crypto.randomUUID(),
    htm: method,
    htu: url,
    iat: Math.floor(now / 1000),
  }
  if (accessToken !== undefined) claims.ath = await accessTokenHash(accessToken)
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }).sign(key.privateKey)
}

function request(method: string, path: string, headers: Record<string, string>, body?: unknown): AuthRequest {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    method,
    path,
    headers: { get: (name) => lower.get(name.toLowerCase()) ?? null },
    body: body === undefined ? { kind: 'none' } : { kind: 'parsed', value: body },
    protocol: 'https',
    hostname: 'auth.example.test',
  }
}

function setUp(dpop: 'allowed' | 'required' = 'allowed', publicUrl?: string, more: Partial<AuthHttpOptions> = {}) {
  const { engine, store, clock, events } = createTestEngine({ dpop, policy: { graceBinding: 'none' }, issuer: ORIGIN })
  const http = createAuthHttp({
    engine,
    transport: 'bearer',
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...more,
  })
  return { engine, store, clock, events, http }
}

/** A proof with a server nonce. */
async function noncedProof(key: Key, method: string, url: string, now: number, nonce: string, accessToken?: string) {
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: method,
    htu: url,
    iat: Math.floor(now / 1000),
    nonce,
  }
  if (accessToken !== undefined) claims.ath = await accessTokenHash(accessToken)
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }).sign(key.privateKey)
}

async function logIn(http: AuthHttp, engine: Engine, key: Key | null) {
  const headers = key === null ? {} : { dpop: await proof(key, 'POST', `${ORIGIN}/login`, engine.clock.now()) }
  return http.login(request('POST', '/login', headers), 'alice')
}

const refreshWith = async (http: AuthHttp, token: string, headers: Record<string, string>) =>
  (await http.handle(request('POST', '/auth/refresh', headers, { refresh_token: token }))) as NonNullable<
    Awaited<ReturnType<AuthHttp['handle']>>
  >

describe('DPoP through the http layer', () => {
  it('a login with a proof binds the family: token_type DPoP, and its refreshes need a proof by that key', async () => {
    const { http, engine, store, events } = setUp()
    const login = await logIn(http, engine, mine)
    expect(login.response.body).toMatchObject({ token_type: 'DPoP' })
    const pair = login.pair as NonNullable<typeof login.pair>
    expect((await store.get(pair.familyId))?.jkt).toEqual(expect.any(String))
    const url = `${ORIGIN}/auth/refresh`

    // No proof: refused, and nothing happens to the family.
    const bare = await refreshWith(http, pair.refreshToken, {})
    expect(bare).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', code: 'ERR_DPOP_PROOF_INVALID' } })
    expect(events.map((e) => e.type)).toEqual(['issued', 'refresh_refused'])
    // A proof for another URL or method: refused too.
    const elsewhere = await refreshWith(http, pair.refreshToken, {
      dpop: await proof(mine, 'POST', `${ORIGIN}/auth/logout`, engine.clock.now()),
    })
    expect(elsewhere).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
    // The key's proof: rotated, still DPoP.
    const jti = crypto.randomUUID()
    const good = await proof(mine, 'POST', url, engine.clock.now(), undefined, jti)
    const ok = await refreshWith(http, pair.refreshToken, { dpop: good })
    expect(ok).toMatchObject({ status: 200, body: { token_type: 'DPoP' } })
    // The same proof again (its jti): refused, nothing revoked.
    const replayed = await refreshWith(http, (ok.body as { refresh_token: string }).refresh_token, { dpop: good })
    expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
    expect(replayed.body).toMatchObject({ error_description: expect.stringContaining('already used') })
    expect((await store.get(pair.familyId))?.status).toBe('active')
  })

  it('a refresh with a valid proof by another key is reuse: refused and the family revoked', async () => {
    const { http, engine, store } = setUp()
    const login = await logIn(http, engine, mine)
    const pair = login.pair as NonNullable<typeof login.pair>
    const stolen = await refreshWith(http, pair.refreshToken, {
      dpop: await proof(thief, 'POST', `${ORIGIN}/auth/refresh`, engine.clock.now()),
    })
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_REFRESH_TOKEN_REUSED' } })
    expect((await store.get(pair.familyId))?.status).toBe('revoked')
  })

  it('guards take Authorization: DPoP with a proof carrying ath, and answer WWW-Authenticate: DPoP', async () => {
    const { http, engine } = setUp()
    const login = await logIn(http, engine, mine)
    const token = (login.pair as NonNullable<typeof login.pair>).accessToken
    const url = `${ORIGIN}/api/me`
    const now = () => engine.clock.now()
    const guarded = (headers: Record<string, string>) => http.authenticate(request('GET', '/api/me', headers))

    const ok = await guarded({ authorization: `DPoP ${token}`, dpop: await proof(mine, 'GET', url, now(), token) })
    expect(ok).toMatchObject({ ok: true, claims: { sub: 'alice', cnf: { jkt: expect.any(String) } } })

    const asBearer = await guarded({ authorization: `Bearer ${token}` })
    expect(asBearer).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_INVALID' })
    for (const [why, headers] of [
      ['no proof', { authorization: `DPoP ${token}` }],
      ['no ath', { authorization: `DPoP ${token}`, dpop: await proof(mine, 'GET', url, now()) }],
      [
        'another token’s ath',
        { authorization: `DPoP ${token}`, dpop: await proof(mine, 'GET', url, now(), 'other.token') },
      ],
      ['another key', { authorization: `DPoP ${token}`, dpop: await proof(thief, 'GET', url, now(), token) }],
      ['another method', { authorization: `DPoP ${token}`, dpop: await proof(mine, 'POST', url, now(), token) }],
    ] as const) {
      const refused = await guarded(headers)
      expect(refused.ok, why).toBe(false)
      if (!refused.ok) {
        expect(refused.response.status, why).toBe(401)
        expect(refused.response.headers['www-authenticate'], why).toMatch(
          /^DPoP algs="[^"]+", error="invalid_(dpop_proof|token)"/,
        )
      }
    }
    // A replayed proof is refused.
    const once = await proof(mine, 'GET', url, now(), token)
    expect((await guarded({ authorization: `DPoP ${token}`, dpop: once })).ok).toBe(true)
    expect(await guarded({ authorization: `DPoP ${token}`, dpop: once })).toMatchObject({
      ok: false,
      code: 'ERR_DPOP_PROOF_INVALID',
    })
  })

  it('a bearer family keeps working when dpop is allowed; a DPoP-scheme request with its token is refused', async () => {
    const { http, engine } = setUp()
    const login = await logIn(http, engine, null)
    expect(login.response.body).toMatchObject({ token_type: 'Bearer' })
    const pair = login.pair as NonNullable<typeof login.pair>
    expect(
      await http.authenticate(request('GET', '/api/me', { authorization: `Bearer ${pair.accessToken}` })),
    ).toMatchObject({ ok: true })
    const dpopScheme = await http.authenticate(
      request('GET', '/api/me', {
        authorization: `DPoP ${pair.accessToken}`,
        dpop: await proof(mine, 'GET', `${ORIGIN}/api/me`, engine.clock.now(), pair.accessToken),
      }),
    )
    expect(dpopScheme).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_INVALID' })
    expect((await refreshWith(http, pair.refreshToken, {})).status).toBe(200)
  })

  it("dpop 'required': a login without a proof is answered 400 with no family; cookie transport is refused at start", async () => {
    const { http, engine, events } = setUp('required')
    const refused = await logIn(http, engine, null)
    expect(refused.pair).toBeNull()
    expect(refused.response).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
    expect(events).toEqual([])
    expect((await logIn(http, engine, mine)).pair?.tokenType).toBe('DPoP')
    expect(() => createAuthHttp({ engine, transport: 'cookie' })).toThrow(/dpop 'required' with transport 'cookie'/)
  })

  it('htu is the configured public URL behind a proxy, and the metadata lists the proof algorithms', async () => {
    const { http, engine } = setUp('allowed', 'https://login.example.com')
    const internal = await http.login(
      request('POST', '/login', { dpop: await proof(mine, 'POST', `${ORIGIN}/login`, engine.clock.now()) }),
      'alice',
    )
    expect(internal.response).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
    const right = await http.login(
      request('POST', '/login', {
        dpop: await proof(mine, 'POST', 'https://login.example.com/login', engine.clock.now()),
      }),
      'alice',
    )
    expect(right.pair?.tokenType).toBe('DPoP')
    const metadata = http.metadata(request('GET', '/.well-known/oauth-authorization-server', {}))
    expect(metadata?.body).toMatchObject({
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256', 'EdDSA']),
    })
    expect(() => createAuthHttp({ engine, publicUrl: 'https://x.example/path' })).toThrow(/publicUrl must be an origin/)
  })

  it('logout and RFC 7009 revocation by a bound refresh token need its key: without one nothing ends', async () => {
    const { http, engine, store } = setUp()
    const now = () => engine.clock.now()
    const pair = (await logIn(http, engine, mine)).pair as NonNullable<Awaited<ReturnType<typeof logIn>>['pair']>
    const post = async (path: string, headers: Record<string, string>, body: unknown) =>
      (await http.handle(request('POST', path, headers, body))) as NonNullable<Awaited<ReturnType<AuthHttp['handle']>>>

    // The token alone, or with a thief's proof: logout refused, revocation answered 200 as always, the family alive.
    const bare = await post('/auth/logout', {}, { refresh_token: pair.refreshToken })
    expect(bare).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
    const thiefs = await post(
      '/auth/logout',
      { dpop: await proof(thief, 'POST', `${ORIGIN}/auth/logout`, now()) },
      { refresh_token: pair.refreshToken },
    )
    expect(thiefs).toMatchObject({ status: 400, body: { code: 'ERR_DPOP_PROOF_INVALID' } })
    for (const token of [pair.refreshToken, pair.accessToken]) {
      expect((await post('/auth/revoke', {}, { token })).status).toBe(200)
    }
    expect((await store.get(pair.familyId))?.status).toBe('active')

    // RFC 7009 with the key's proof revokes the family.
    const revoked = await post(
      '/auth/revoke',
      { dpop: await proof(mine, 'POST', `${ORIGIN}/auth/revoke`, now()) },
      { token: pair.refreshToken },
    )
    expect(revoked.status).toBe(200)
    expect((await store.get(pair.familyId))?.status).toBe('revoked')

    // Logout with the key's proof (and no access token: one proof names the family) ends another.
    const second = (await logIn(http, engine, mine)).pair as NonNullable<Awaited<ReturnType<typeof logIn>>['pair']>
    const out = await post(
      '/auth/logout',
      { dpop: await proof(mine, 'POST', `${ORIGIN}/auth/logout`, now()) },
      { refresh_token: second.refreshToken },
    )
    expect(out.status).toBe(204)
    expect((await store.get(second.familyId))?.status).toBe('revoked')
  })

  it('logout with an expired DPoP access token falls back to the body refresh token under the same proof', async () => {
    const { http, engine, store, clock } = setUp()
    const pair = (await logIn(http, engine, mine)).pair as NonNullable<Awaited<ReturnType<typeof logIn>>['pair']>
    clock.advance(16 * 60_000) // past the access token's 15 minutes
    const url = `${ORIGIN}/auth/logout`
    const headers = {
      authorization: `DPoP ${pair.accessToken}`,
      dpop: await proof(mine, 'POST', url, engine.clock.now(), pair.accessToken),
    }
    const out = await http.handle(request('POST', '/auth/logout', headers, { refresh_token: pair.refreshToken }))
    expect(out?.status).toBe(204)
    expect((await store.get(pair.familyId))?.status).toBe('revoked')
  })

  it('requireDpopNonce: use_dpop_nonce with a DPoP-Nonce at login, refresh and the guard; any node accepts it; it lives 30 to 60 s', async () => {
    const { http, engine, clock } = setUp('allowed', undefined, { requireDpopNonce: true })
    const now = () => engine.clock.now()
    const loginUrl = `${ORIGIN}/login`
    const asked = await http.login(
      request('POST', '/login', { dpop: await proof(mine, 'POST', loginUrl, now()) }),
      'alice',
    )
    expect(asked.pair).toBeNull()
    expect(asked.response).toMatchObject({
      status: 400,
      body: { error: 'use_dpop_nonce', code: 'ERR_DPOP_NONCE_REQUIRED' },
    })
    const nonce = asked.response.headers['dpop-nonce'] as string
    expect(nonce).toMatch(/^[\w-]+\.[0-9a-z]+\.[\w-]{43}$/)
    const login = await http.login(
      request('POST', '/login', { dpop: await noncedProof(mine, 'POST', loginUrl, now(), nonce) }),
      'alice',
    )
    const pair = login.pair as NonNullable<typeof login.pair>
    expect(pair.tokenType).toBe('DPoP')
    expect(login.response.headers['dpop-nonce']).toEqual(expect.any(String))

    // Another node of the deployment (same keys, its own replay cache) takes this node's nonce.
    const other = createAuthHttp({ engine, transport: 'bearer', requireDpopNonce: true })
    const refreshUrl = `${ORIGIN}/auth/refresh`
    const refreshed = await other.handle(
      request(
        'POST',
        '/auth/refresh',
        { dpop: await noncedProof(mine, 'POST', refreshUrl, now(), nonce) },
        {
          refresh_token: pair.refreshToken,
        },
      ),
    )
    expect(refreshed).toMatchObject({ status: 200, headers: { 'dpop-nonce': expect.any(String) } })
    const access = ((refreshed as { body: unknown }).body as { access_token: string }).access_token

    const apiUrl = `${ORIGIN}/api/me`
    const guarded = (dpop: string) =>
      http.authenticate(request('GET', '/api/me', { authorization: `DPoP ${access}`, dpop }))
    const noNonce = await guarded(await proof(mine, 'GET', apiUrl, now(), access))
    expect(noNonce.ok).toBe(false)
    if (!noNonce.ok) {
      expect(noNonce.response.status).toBe(401)
      expect(noNonce.response.headers['www-authenticate']).toMatch(/^DPoP algs="[^"]+", error="use_dpop_nonce"/)
      expect(noNonce.response.headers['dpop-nonce']).toEqual(expect.any(String))
    }
    expect(await guarded(await noncedProof(mine, 'GET', apiUrl, now(), nonce, access))).toMatchObject({ ok: true })
    // Two buckets on, the nonce is dead and a new one is handed out.
    clock.advance(61_000)
    const stale = await guarded(await noncedProof(mine, 'GET', apiUrl, now(), nonce, access))
    expect(stale).toMatchObject({ ok: false, code: 'ERR_DPOP_NONCE_REQUIRED' })
    // A nonce of another deployment (other keys) is never accepted.
    const foreign = createTestEngine({ dpop: 'allowed', secret: crypto.getRandomValues(new Uint8Array(32)) }).engine
    const theirs = await foreign.dpopNonces.current(now())
    expect(await engine.dpopNonces.accepts(theirs, now())).toBe(false)
  })

  it('a full replay cache (size 2) asks for a nonce instead of forgetting an id; a nonced proof then passes', async () => {
    const { http, engine } = setUp('allowed', undefined, { dpopReplayCacheSize: 2 })
    const now = () => engine.clock.now()
    const pair = (await logIn(http, engine, mine)).pair as NonNullable<Awaited<ReturnType<typeof logIn>>['pair']>
    const url = `${ORIGIN}/api/me`
    const token = pair.accessToken
    const guarded = (dpop: string) =>
      http.authenticate(request('GET', '/api/me', { authorization: `DPoP ${token}`, dpop }))
    // The login's proof is one id; this is the second.
    const kept = await proof(mine, 'GET', url, now(), token)
    expect(await guarded(kept)).toMatchObject({ ok: true })
    const full = await guarded(await proof(mine, 'GET', url, now(), token))
    expect(full).toMatchObject({ ok: false, code: 'ERR_DPOP_NONCE_REQUIRED' })
    // Nothing was forgotten: the remembered proof is still a replay.
    expect(await guarded(kept)).toMatchObject({ ok: false, code: 'ERR_DPOP_PROOF_INVALID' })
    const nonce = (full.ok ? '' : full.response.headers['dpop-nonce']) as string
    expect(await guarded(await noncedProof(mine, 'GET', url, now(), nonce, token))).toMatchObject({ ok: true })
    expect(() => createAuthHttp({ engine, dpopReplayCacheSize: 0 })).toThrow(/dpopReplayCacheSize/)
  })

  it('a resource server asks for nonces with dpopNonceSecret (one secret for all its instances), and cannot without it', async () => {
    const { http, engine } = setUp()
    const pair = (await logIn(http, engine, mine)).pair as NonNullable<Awaited<ReturnType<typeof logIn>>['pair']>
    const verifier = createVerifier({ issuer: ORIGIN, audience: 'api', jwks: engine.jwks(), clock: engine.clock })
    expect(() => createAuthHttp({ verifier, requireDpopNonce: true })).toThrow(/needs dpopNonceSecret/)
    const secret = crypto.getRandomValues(new Uint8Array(32))
    const [a, b] = [1, 2].map(() => createAuthHttp({ verifier, requireDpopNonce: true, dpopNonceSecret: secret }))
    const url = `${ORIGIN}/api/me`
    const token = pair.accessToken
    const call = async (layer: AuthHttp, nonce?: string) =>
      layer.authenticate(
        request('GET', '/api/me', {
          authorization: `DPoP ${token}`,
          dpop:
            nonce === undefined
              ? await proof(mine, 'GET', url, engine.clock.now(), token)
              : await noncedProof(mine, 'GET', url, engine.clock.now(), nonce, token),
        }),
      )
    const asked = await call(a as AuthHttp)
    expect(asked).toMatchObject({ ok: false, code: 'ERR_DPOP_NONCE_REQUIRED' })
    const nonce = (asked.ok ? '' : asked.response.headers['dpop-nonce']) as string
    // Instance b takes instance a's nonce; the auth server's nonces are not the resource server's.
    expect(await call(b as AuthHttp, nonce)).toMatchObject({ ok: true, claims: { sub: 'alice' } })
    expect(await engine.dpopNonces.accepts(nonce, engine.clock.now())).toBe(false)
  })
})
