// Issue 14: a resource server's verifier, against a real JWKS server on 127.0.0.1 that can be
// made to misbehave (500, slow, huge, not JSON, empty), with the auth server's engine beside it.
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEngine } from '../engine/engine.js'
import type { Engine } from '../engine/types.js'
import { AuthError } from '../errors/index.js'
import { createKeyRing } from '../keys/key-ring.js'
import { createManualClock, createTestStore, type ManualClock, TEST_SECRET } from '../testing/index.js'
import { createVerifier } from './verifier.js'

type Mode = 'good' | '500' | 'slow' | 'huge' | 'garbage' | 'empty' | 'private'

/** A JWKS server whose answer the test switches; it counts requests and bytes written. */
async function jwksServer(jwks: () => unknown) {
  const state = { mode: 'good' as Mode, requests: 0, bytesWritten: 0 }
  const write = (res: ServerResponse, body: string) => {
    state.bytesWritten += body.length
    res.end(body)
  }
  const server: Server = createServer((_req, res) => {
    state.requests++
    switch (state.mode) {
      case 'good':
        return write(
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=86400' }),
          JSON.stringify(jwks()),
        )
      case '500':
        return write(res.writeHead(500), 'down')
      case 'slow':
        return // never answers
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' })
        const chunk = `{"keys":[${'{"kid":"x"},'.repeat(8000)}`
        const pump = () => {
          while (state.bytesWritten < 10_000_000) {
            state.bytesWritten += chunk.length
            if (!res.write(chunk)) return res.once('drain', pump)
          }
          res.end(']}')
        }
        res.on('close', () => {})
        return pump()
      }
      case 'garbage':
        return write(res.writeHead(200, { 'content-type': 'application/json' }), '<html>not json</html>')
      case 'empty':
        return write(res.writeHead(200, { 'content-type': 'application/json' }), '{"keys":[]}')
      case 'private': {
        const set = jwks() as { keys: Record<string, unknown>[] }
        return write(
          res.writeHead(200, { 'content-type': 'application/json' }),
          JSON.stringify({ keys: set.keys.map((k) => ({ ...k, d: 'c2VjcmV0' })) }),
        )
      }
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/jwks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const MINUTE = 60_000
let clock: ManualClock
let engine: Engine
let jwks: Awaited<ReturnType<typeof jwksServer>>

beforeEach(async () => {
  clock = createManualClock()
  engine = createEngine({
    store: createTestStore({ clock }),
    clock,
    issuer: 'https://auth.example.test',
    audience: 'api',
    secret: TEST_SECRET,
  })
  jwks = await jwksServer(() => engine.jwks())
})
afterEach(() => jwks.close())

/** The auth server's engine on `keys`, on the test's clock. */
const authServer = (keys: ReturnType<typeof createKeyRing>) =>
  createEngine({ store: createTestStore({ clock }), clock, issuer: 'https://auth.example.test', audience: 'api', keys })

const remote = (extra: Partial<Parameters<typeof createVerifier>[0]> = {}) =>
  createVerifier({ issuer: 'https://auth.example.test', audience: 'api', jwksUri: jwks.url, clock, ...extra })

/** A token whose header names `kid` (it verifies nowhere: only the header matters here). */
function forgedWithKid(kid: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid })}.${b64({ sub: 'x' })}.${'A'.repeat(86)}`
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    const value = (await promise) as { ok: boolean; code?: string }
    return value.ok ? 'ok' : (value.code as string)
  } catch (error) {
    return error instanceof AuthError ? `threw ${error.code}` : `threw ${String(error)}`
  }
}

describe('createVerifier: the same answers as engine.verifyAccess', () => {
  it('a fixed JWKS verifies the engine’s tokens with identical results, and refuses what the engine refuses', async () => {
    const verifier = createVerifier({
      issuer: 'https://auth.example.test',
      audience: 'api',
      jwks: engine.jwks(),
      clock,
    })
    const { accessToken } = await engine.issue('alice', { claims: { role: 'admin' } })
    expect(await verifier.verifyAccess(accessToken)).toEqual(await engine.verifyAccess(accessToken))
    expect(await verifier.verifyAccess(accessToken, { maxAuthAge: 60 })).toMatchObject({ ok: true })
    clock.advance(2 * MINUTE)
    expect(await codeOf(verifier.verifyAccess(accessToken, { maxAuthAge: 60 }))).toBe('ERR_AUTH_STALE')
    for (const bad of ['', 'a.b.c', `${accessToken.slice(0, -3)}AAA`, 'x'.repeat(10_000)]) {
      expect(await codeOf(verifier.verifyAccess(bad))).toBe(await codeOf(engine.verifyAccess(bad)))
    }
    clock.advance(16 * MINUTE)
    expect(await codeOf(verifier.verifyAccess(accessToken))).toBe('ERR_ACCESS_TOKEN_EXPIRED')
  })

  it('mistakes fail at construction, naming the fix', () => {
    const base = { issuer: 'https://auth.example.test', audience: 'api' }
    expect(() => createVerifier({ ...base, jwksUri: jwks.url, algorithms: ['HS256'] })).toThrow(
      /HS256 needs the auth server's shared secret/,
    )
    expect(() => createVerifier({ ...base, jwksUri: 'http://auth.example.com/jwks' })).toThrow(
      /must be https \(plain http only on localhost\)/,
    )
    expect(() => createVerifier({ ...base })).toThrow(/give jwks or jwksUri/)
    expect(() => createVerifier({ ...base, jwks: engine.jwks(), jwksUri: jwks.url })).toThrow(/give jwks or jwksUri/)
    expect(() => createVerifier({ ...base, jwks: { keys: [] } })).toThrow(/jwks: no usable key/)
    expect(() => createVerifier({ ...base, jwksUrl: jwks.url } as never)).toThrow(/did you mean jwksUri/)
    expect(() => createVerifier({ ...base, jwksUri: jwks.url, cacheMaxAge: '1h' })).toThrow(/at most '10m'/)
  })
})

describe('createVerifier with jwksUri: keys that follow the auth server', () => {
  it('fetches once for many verifications, whatever Cache-Control says, and again after 10 minutes', async () => {
    const verifier = remote()
    const { accessToken } = await engine.issue('alice')
    for (let i = 0; i < 50; i++) expect(await codeOf(verifier.verifyAccess(accessToken))).toBe('ok')
    expect(jwks.state.requests).toBe(1)
    clock.advance(10 * MINUTE)
    await verifier.verifyAccess(accessToken)
    expect(jwks.state.requests).toBe(2)
  })

  it('after a signing-key rotation the new kid is fetched once; a removed key stops verifying within 10 minutes', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const oldKey = generateKeyPairSync('ed25519')
    const newKey = generateKeyPairSync('ed25519')
    const refresh = [{ kid: 'r1', secret: new Uint8Array(32).fill(7) }]
    const ring = (signing: Parameters<typeof createKeyRing>[0]['signing'], active: string) =>
      createKeyRing({ signing, refresh, activeSigningKid: active })
    engine = authServer(ring([{ kid: 'k1', alg: 'EdDSA', privateKey: oldKey.privateKey }], 'k1'))
    const verifier = remote()
    const before = await engine.issue('alice')
    expect(await codeOf(verifier.verifyAccess(before.accessToken))).toBe('ok')
    // The auth server rotates: k2 signs, k1 still verifies.
    engine = authServer(
      ring(
        [
          { kid: 'k2', alg: 'EdDSA', privateKey: newKey.privateKey },
          { kid: 'k1', alg: 'EdDSA', publicKey: oldKey.publicKey },
        ],
        'k2',
      ),
    )
    clock.advance(MINUTE) // past the cooldown
    const after = await engine.issue('alice')
    expect(await codeOf(verifier.verifyAccess(after.accessToken))).toBe('ok')
    expect(jwks.state.requests).toBe(2)
    expect(await codeOf(verifier.verifyAccess(before.accessToken))).toBe('ok')
    // k1 is removed from the JWKS: within 10 minutes of the last fetch its tokens are refused.
    engine = authServer(ring([{ kid: 'k2', alg: 'EdDSA', privateKey: newKey.privateKey }], 'k2'))
    clock.advance(10 * MINUTE)
    const old = await codeOf(verifier.verifyAccess(before.accessToken))
    expect(['ERR_ACCESS_TOKEN_INVALID', 'ERR_ACCESS_TOKEN_EXPIRED']).toContain(old)
    const fresh = await engine.issue('alice')
    expect(await codeOf(verifier.verifyAccess(fresh.accessToken))).toBe('ok')
  })

  it('a flood of 275 tokens with random kids costs one fetch per cooldown, also while the JWKS answers 500', async () => {
    const verifier = remote({ cooldown: '30s' })
    await verifier.check()
    expect(jwks.state.requests).toBe(1)
    clock.advance(31_000)
    const flood = Array.from({ length: 275 }, (_, i) => forgedWithKid(`forged-${i}-${Math.random()}`))
    const codes = await Promise.all(flood.map((token) => codeOf(verifier.verifyAccess(token))))
    expect(new Set(codes)).toEqual(new Set(['ERR_ACCESS_TOKEN_INVALID']))
    expect(jwks.state.requests).toBe(2)
    // The JWKS goes down: a failed fetch counts toward the cooldown like a good one.
    jwks.state.mode = '500'
    clock.advance(31_000)
    for (const token of flood.slice(0, 9)) await verifier.verifyAccess(token)
    expect(jwks.state.requests).toBe(3)
    for (let i = 0; i < 9; i++) {
      clock.advance(1_000)
      await verifier.verifyAccess(flood[i] as string)
    }
    expect(jwks.state.requests).toBe(3)
  })

  it('during a JWKS outage the cached keys keep verifying past their age, for maxStale, then it fails closed', async () => {
    const verifier = remote({ maxStale: '1h' })
    const { accessToken } = await engine.issue('alice', { accessTtl: '15m' })
    expect(await codeOf(verifier.verifyAccess(accessToken))).toBe('ok')
    for (const mode of ['500', 'garbage', 'empty', 'private'] as const) {
      jwks.state.mode = mode
      clock.advance(11 * MINUTE)
      const fresh = await engine.issue('alice', { accessTtl: '15m' })
      expect(await codeOf(verifier.verifyAccess(fresh.accessToken)), mode).toBe('ok')
    }
    jwks.state.mode = '500'
    clock.advance(60 * MINUTE)
    const late = await engine.issue('alice')
    expect(await codeOf(verifier.verifyAccess(late.accessToken))).toBe('threw ERR_KEYS_UNAVAILABLE')
    jwks.state.mode = 'good'
    clock.advance(MINUTE)
    expect(await codeOf(verifier.verifyAccess(late.accessToken))).toBe('ok')
  })

  it('a 10 MB JWKS is not read whole: at most maxJwksBytes, then the fetch is dropped and good keys stay', async () => {
    const verifier = remote({ maxJwksBytes: 64 * 1024 })
    const { accessToken } = await engine.issue('alice')
    await verifier.check()
    jwks.state.mode = 'huge'
    clock.advance(11 * MINUTE)
    const started = performance.now()
    const fresh = await engine.issue('alice')
    expect(await codeOf(verifier.verifyAccess(fresh.accessToken))).toBe('ok')
    expect(performance.now() - started).toBeLessThan(5_000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(jwks.state.bytesWritten).toBeLessThan(10_000_000)
    expect(await codeOf(verifier.verifyAccess(accessToken))).toBe('ok')
  })

  it('a JWKS that never answers, or a refused connection, is a typed ERR_KEYS_UNAVAILABLE at start-up, never a TypeError', async () => {
    jwks.state.mode = 'slow'
    const slow = remote({ timeout: 0.2 })
    await expect(slow.check()).rejects.toMatchObject({ code: 'ERR_KEYS_UNAVAILABLE' })
    const { accessToken } = await engine.issue('alice')
    expect(await codeOf(slow.verifyAccess(accessToken))).toBe('threw ERR_KEYS_UNAVAILABLE')
    await jwks.close()
    const refused = remote()
    const error = await refused.check().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('ERR_KEYS_UNAVAILABLE')
    expect((error as AuthError).message).toMatch(/could not be fetched/)
  })
})

describe('a verifier-only http layer', () => {
  it('refuses what only an auth server has, and validates the rest like any http layer', async () => {
    const { createAuthHttp } = await import('../http/http.js')
    const verifier = createVerifier({
      issuer: 'https://auth.example.test',
      audience: 'api',
      jwks: engine.jwks(),
      clock,
    })
    expect(() => createAuthHttp({ verifier, transport: 'cookie' })).toThrow(/transport is for the auth server/)
    expect(() => createAuthHttp({ verifier, clientIds: ['web'] })).toThrow(/clientIds is for the auth server/)
    expect(() => createAuthHttp({ verifier, tokenLocations: ['cookie'] })).toThrow(/tokenLocations: 'cookie' needs/)
    expect(() => createAuthHttp({ verifier, realm: 'bad"realm' })).toThrow(/realm must be/)
    expect(() => createAuthHttp({ verifier, engine })).toThrow(/give engine .* or verifier/)
    expect(createAuthHttp({ verifier }).engine).toBeNull()
  })
})
