// DPoP proofs (RFC 9449 §4.3) with real keys made by jose: every refusal has its reason, and
// nonces and the replay cache do what their contracts say.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { accessTokenHash, createDpopNonces, createDpopReplayCache, normalizeHtu, verifyDpopProof } from './dpop.js'

const NOW = Date.UTC(2026, 11, 2, 12)
const URL_ = 'https://api.example.com/auth/refresh'
let es256: { privateKey: CryptoKey; jwk: JWK }
let ed25519: { privateKey: CryptoKey; jwk: JWK }
let privateJwk: JWK

beforeAll(async () => {
  const a = await generateKeyPair('ES256', { extractable: true })
  es256 = { privateKey: a.privateKey as CryptoKey, jwk: await exportJWK(a.publicKey) }
  privateJwk = await exportJWK(a.privateKey)
  const b = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  ed25519 = { privateKey: b.privateKey as CryptoKey, jwk: await exportJWK(b.publicKey) }
})

interface ProofParts {
  alg?: string
  typ?: string
  jwk?: JWK
  key?: CryptoKey | Uint8Array
  claims?: Record<string, unknown>
}

async function proof(parts: ProofParts = {}): Promise<string> {
  const { alg = 'ES256', typ = 'dpop+jwt', jwk = es256.jwk, key = es256.privateKey } = parts
  return new SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu: URL_, iat: NOW / 1000, ...parts.claims })
    .setProtectedHeader({ alg, typ, jwk })
    .sign(key)
}

const check = (value: string, request: Partial<Parameters<typeof verifyDpopProof>[1]> = {}, now = NOW) =>
  verifyDpopProof(value, { method: 'POST', url: URL_, ...request }, { now })

describe('verifyDpopProof', () => {
  it('accepts a proof by ES256 or Ed25519 and answers the key thumbprint (RFC 7638)', async () => {
    const a = await check(await proof())
    expect(a).toMatchObject({ ok: true, jkt: await calculateJwkThumbprint(es256.jwk, 'sha256'), iat: NOW / 1000 })
    const b = await check(await proof({ alg: 'EdDSA', jwk: ed25519.jwk, key: ed25519.privateKey }))
    expect(b).toMatchObject({ ok: true, jkt: await calculateJwkThumbprint(ed25519.jwk, 'sha256') })
  })

  it('refuses a missing, oversized, doubled or malformed header', async () => {
    for (const bad of [
      undefined,
      null,
      '',
      'x'.repeat(9000),
      `${await proof()},${await proof()}`,
      'a.b.c',
      'not a jwt',
    ]) {
      expect(await verifyDpopProof(bad, { method: 'POST', url: URL_ }, { now: NOW })).toMatchObject({
        ok: false,
        code: 'ERR_DPOP_PROOF_INVALID',
      })
    }
  })

  it('refuses another typ, alg none, an HMAC, and an alg outside the allow-list', async () => {
    expect(await check(await proof({ typ: 'JWT' }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('typ'),
    })
    const hs = await new SignJWT({ jti: 'j', htm: 'POST', htu: URL_, iat: NOW / 1000 })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: es256.jwk })
      .sign(new Uint8Array(32))
    expect(await check(hs)).toMatchObject({ ok: false, code: 'ERR_DPOP_PROOF_INVALID' })
    const header = btoa(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: es256.jwk })).replace(/=+$/, '')
    const body = btoa(JSON.stringify({ jti: 'j', htm: 'POST', htu: URL_, iat: NOW / 1000 })).replace(/=+$/, '')
    expect(await check(`${header}.${body}.`)).toMatchObject({ ok: false, code: 'ERR_DPOP_PROOF_INVALID' })
    const edOnly = await verifyDpopProof(
      await proof(),
      { method: 'POST', url: URL_ },
      { now: NOW, algorithms: ['EdDSA'] },
    )
    expect(edOnly).toMatchObject({ ok: false, message: expect.stringContaining('alg') })
  })

  it('refuses a jwk with a private part, and a signature by another key', async () => {
    expect(await check(await proof({ jwk: privateJwk }))).toMatchObject({
      ok: false,
      message: 'DPoP proof: the jwk has a private part',
    })
    expect(await check(await proof({ jwk: ed25519.jwk }))).toMatchObject({ ok: false, code: 'ERR_DPOP_PROOF_INVALID' })
  })

  it('refuses a proof for another method or URL; ignores query and fragment; normalises the URL', async () => {
    expect(await check(await proof({ claims: { htm: 'GET' } }))).toMatchObject({
      message: expect.stringContaining('htm'),
    })
    expect(await check(await proof({ claims: { htu: 'https://api.example.com/auth/logout' } }))).toMatchObject({
      message: expect.stringContaining('htu'),
    })
    expect(await check(await proof({ claims: { htu: 'https://evil.example/auth/refresh' } }))).toMatchObject({
      ok: false,
    })
    expect(
      await check(await proof({ claims: { htu: 'HTTPS://API.example.com:443/auth/%72efresh?x=1#f' } })),
    ).toMatchObject({
      ok: true,
    })
    expect(normalizeHtu('https://a.example:8443/x%2fy%7e')).toBe('https://a.example:8443/x%2Fy~')
    expect(normalizeHtu('ftp://a.example/')).toBeNull()
    expect(normalizeHtu('not a url')).toBeNull()
  })

  it('refuses a proof too old or from the future, and one without jti or iat', async () => {
    expect(await check(await proof(), {}, NOW + 66_000)).toMatchObject({ message: 'DPoP proof: the proof is too old' })
    expect(await check(await proof(), {}, NOW + 60_000)).toMatchObject({ ok: true })
    expect(await check(await proof(), {}, NOW - 6_000)).toMatchObject({ message: 'DPoP proof: iat is in the future' })
    expect(await check(await proof({ claims: { jti: undefined } }))).toMatchObject({
      message: expect.stringContaining('jti'),
    })
    expect(await check(await proof({ claims: { iat: undefined } }))).toMatchObject({ ok: false })
  })

  it('with an access token: needs its ath; another token’s ath is refused', async () => {
    const token = 'eyJ.access.token'
    const ath = await accessTokenHash(token)
    expect(await check(await proof({ claims: { ath } }), { accessToken: token })).toMatchObject({ ok: true })
    expect(await check(await proof(), { accessToken: token })).toMatchObject({
      message: expect.stringContaining('ath'),
    })
    const other = await accessTokenHash('another.token')
    expect(await check(await proof({ claims: { ath: other } }), { accessToken: token })).toMatchObject({ ok: false })
  })

  it('with server nonces: a proof without the current nonce gets ERR_DPOP_NONCE_REQUIRED', async () => {
    const nonces = createDpopNonces(new Uint8Array(32).fill(7))
    const nonce = await nonces.current(NOW)
    const accepts = (value: unknown) => nonces.accepts(value, NOW)
    expect(await check(await proof({ claims: { nonce } }), { nonce: accepts })).toMatchObject({ ok: true })
    expect(await check(await proof(), { nonce: accepts })).toMatchObject({ ok: false, code: 'ERR_DPOP_NONCE_REQUIRED' })
  })
})

describe('stateless DPoP nonces', () => {
  it('any node with the key accepts a nonce in its bucket and the next, and nothing else', async () => {
    const key = new Uint8Array(32).fill(1)
    const [a, b] = [createDpopNonces(key, 1000), createDpopNonces(key, 1000)]
    const nonce = await a.current(NOW)
    expect(await b.accepts(nonce, NOW)).toBe(true)
    expect(await b.accepts(nonce, NOW + 1000)).toBe(true)
    expect(await b.accepts(nonce, NOW + 2000)).toBe(false)
    expect(await createDpopNonces(new Uint8Array(32).fill(2), 1000).accepts(nonce, NOW)).toBe(false)
    for (const bad of [undefined, 5, '', '.', 'zz.abc', `${nonce}x`, 'x'.repeat(100)]) {
      expect(await b.accepts(bad, NOW)).toBe(false)
    }
  })
})

describe('the DPoP replay cache (size 3)', () => {
  it('answers replayed for a seen id, forgets it after the window, and says full rather than evict', () => {
    const cache = createDpopReplayCache(3, 1000)
    expect(cache.check('k', 'a', NOW)).toBe('fresh')
    expect(cache.check('k', 'a', NOW + 10)).toBe('replayed')
    expect(cache.check('other-key', 'a', NOW + 10)).toBe('fresh')
    expect(cache.check('k', 'b', NOW + 20)).toBe('fresh')
    expect(cache.check('k', 'c', NOW + 30)).toBe('full')
    expect(cache.check('k', 'a', NOW + 30)).toBe('replayed')
    // The first id's window ends: it is forgotten, which makes room.
    expect(cache.check('k', 'c', NOW + 1001)).toBe('fresh')
    expect(cache.size).toBe(3)
  })
})
