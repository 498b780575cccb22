// @auth/client/dpop in Debian's Chromium over HTTPS (issue 15): bearer transport with DPoP on a
// Fastify auth server. The key lives in IndexedDB and survives a reload, the page cannot export
// it, and a refresh token copied out of the page is worth nothing from outside: without a proof it
// is refused (nothing revoked), with the thief's own key it is reuse (the family revoked).
// Registered from browser.test.ts, so the browser suites run one after another.
import { request as httpsRequest } from 'node:https'
import { type AuthEvent, createEngine } from '@auth/core'
import { clientModule, type TlsFiles } from '@auth/example-common'
import { authPlugin } from '@auth/fastify'
import { createMemoryStore } from '@auth/storage-memory'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PAGE = `<!doctype html><meta charset="utf-8"><title>dpop</title>
<script type="module">
  import { createAuthClient } from '/auth-client.js'
  import { createDpopSigner } from '/auth-client-dpop.js'
  let stored = null
  const auth = createAuthClient({
    baseUrl: location.origin,
    transport: 'bearer',
    channel: false,
    dpop: createDpopSigner(),
    // What an XSS would find if the app persisted tokens: the test copies the refresh token out.
    storage: { get: () => stored, set: (s) => { stored = s } },
  })
  window.t = {
    async login() {
      const headers = await auth.loginHeaders(location.origin + '/login')
      const response = await fetch('/login', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"username":"eve"}' })
      const body = await response.json()
      await auth.signedIn(body)
      return body.token_type
    },
    me: async () => (await auth.fetch('/me')).status,
    refresh: () => auth.refresh(),
    stolen: () => stored?.refreshToken,
    async publicKey() {
      const db = await new Promise((ok, no) => { const r = indexedDB.open('auth-client-dpop', 1); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error) })
      const pair = await new Promise((ok) => { const r = db.transaction('keys').objectStore('keys').get('current'); r.onsuccess = () => ok(r.result) })
      if (!pair) return null
      const exported = await crypto.subtle.exportKey('jwk', pair.privateKey).then(() => 'exported', (e) => e.name)
      const { x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
      return { xy: x + '.' + y, exported }
    },
  }
</script>`

/** POSTs JSON from outside the browser (Node), trusting the test's self-signed certificate. */
function postFromOutside(url: string, headers: Record<string, string>, body: unknown) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const request = httpsRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, rejectUnauthorized: false },
      (response) => {
        let text = ''
        response.on('data', (chunk) => {
          text += chunk
        })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    request.on('error', reject)
    request.end(JSON.stringify(body))
  })
}

const b64url = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes).toString('base64url')

/** A thief's own DPoP proof (its own key) for POST `url`. */
async function thiefProof(url: string): Promise<string> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey)
  const input = `${b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }))}.${b64url(
    JSON.stringify({ jti: crypto.randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000) }),
  )}`
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keys.privateKey,
    new TextEncoder().encode(input),
  )
  return `${input}.${b64url(new Uint8Array(signature))}`
}

type T = {
  t: {
    login(): Promise<string>
    me(): Promise<number>
    refresh(): Promise<{ ok: boolean }>
    stolen(): string | undefined
    publicKey(): Promise<{ xy: string; exported: string } | null>
  }
}

export function describeDpopBrowser(browser: () => Browser, tls: () => TlsFiles): void {
  describe('@auth/client/dpop in Chromium: bearer transport with DPoP', () => {
    let app: FastifyInstance
    let url: string
    const events: AuthEvent[] = []

    beforeAll(async () => {
      const engine = createEngine({
        store: createMemoryStore(),
        issuer: 'https://127.0.0.1',
        audience: 'api',
        secret: '42oX8WxaC/Kr/ySMmzQF88qJF94PBtMRgaeR992wgaA=',
        dpop: 'required',
        onEvent: (event) => events.push(event),
      })
      app = Fastify({ https: tls() })
      await app.register(authPlugin, { engine, transport: 'bearer' })
      const [client, dpop] = [clientModule(), clientModule('/dpop')]
      app.get('/', async (_request, reply) => reply.type('text/html').send(PAGE))
      app.get('/auth-client.js', async (_request, reply) => reply.type('text/javascript').send(client))
      app.get('/auth-client-dpop.js', async (_request, reply) => reply.type('text/javascript').send(dpop))
      app.post('/login', async (_request, reply) => reply.login('eve'))
      app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({ sub: request.auth?.sub }))
      url = await app.listen({ port: 0, host: '127.0.0.1' })
    })
    afterAll(async () => {
      await app?.close()
    })

    it('the key survives a reload and cannot be exported; a stolen refresh token is useless from outside', async () => {
      const context = await browser().newContext({ ignoreHTTPSErrors: true })
      const page = await context.newPage()
      await page.goto(url)
      await page.waitForFunction(() => 't' in window)
      expect(await page.evaluate(() => (window as unknown as T).t.login())).toBe('DPoP')
      expect(await page.evaluate(() => (window as unknown as T).t.me())).toBe(200)
      expect(await page.evaluate(() => (window as unknown as T).t.refresh())).toEqual({ ok: true })
      const before = await page.evaluate(() => (window as unknown as T).t.publicKey())
      expect(before?.exported).toBe('InvalidAccessError')
      const stolen = await page.evaluate(() => (window as unknown as T).t.stolen())
      expect(stolen).toEqual(expect.any(String))

      await page.reload()
      await page.waitForFunction(() => 't' in window)
      expect(await page.evaluate(() => (window as unknown as T).t.publicKey())).toEqual(before)

      // From outside: without a proof, refused and nothing revoked; with the thief's own key, reuse.
      const family = events.findLast((e) => e.type === 'issued')?.familyId
      const target = `${url}/auth/refresh`
      const bare = await postFromOutside(target, {}, { refresh_token: stolen })
      expect(bare).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
      expect(events.filter((e) => e.familyId === family && e.type === 'revoked')).toEqual([])
      const thief = await postFromOutside(target, { dpop: await thiefProof(target) }, { refresh_token: stolen })
      expect(thief).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_REFRESH_TOKEN_REUSED' } })
      expect(events.findLast((e) => e.familyId === family)).toMatchObject({ type: 'revoked', reason: 'reuse_detected' })
      await context.close()
    }, 60_000)
  })
}
