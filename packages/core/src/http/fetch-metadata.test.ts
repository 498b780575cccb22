// Review finding 14: on cookie-authenticated unsafe methods, where the browser says a request
// comes from (Sec-Fetch-Site, Origin) is checked beside the double-submit token.
import { describe, expect, it } from 'vitest'
import { createTestEngine } from '../testing/index.js'
import { createAuthHttp } from './http.js'
import type { AuthRequest } from './types.js'

async function browser(trustedOrigins?: readonly string[]) {
  const { engine } = createTestEngine({ policy: { graceBinding: 'none' } })
  const http = createAuthHttp({ engine, transport: 'cookie', ...(trustedOrigins ? { trustedOrigins } : {}) })
  const { response } = await http.login(request('POST', {}), 'alice')
  const jar = new Map<string, string>()
  for (const cookie of response.cookies) {
    const [pair = ''] = cookie.split(';')
    const eq = pair.indexOf('=')
    if (!/Max-Age=0/i.test(cookie)) jar.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  const csrf = jar.get('__Host-csrf_token') ?? ''
  const cookieHeader = [...jar].map(([n, v]) => `${n}=${v}`).join('; ')
  const call = (headers: Record<string, string>) =>
    http.authenticate(request('POST', { cookie: cookieHeader, 'x-csrf-token': csrf, ...headers }), {
      locations: ['cookie'],
    })
  return { call }
}

function request(method: string, headers: Record<string, string>): AuthRequest {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    method,
    path: '/api/action',
    headers: { get: (name) => lower.get(name.toLowerCase()) },
    body: { kind: 'none' },
  }
}

describe('Sec-Fetch-Site and Origin on cookie-authenticated unsafe requests', () => {
  it('same-origin and requests without the headers pass on the token; cross-site is refused', async () => {
    const { call } = await browser()
    expect((await call({})).ok).toBe(true)
    expect((await call({ 'sec-fetch-site': 'same-origin' })).ok).toBe(true)
    expect((await call({ 'sec-fetch-site': 'none' })).ok).toBe(true)
    expect(await call({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).toMatchObject({
      ok: false,
      code: 'ERR_CSRF',
    })
  })

  it('same-site is accepted only from a trusted origin; with trustedOrigins set, another Origin is refused', async () => {
    const untrusted = await browser()
    expect(await untrusted.call({ 'sec-fetch-site': 'same-site', origin: 'https://app.example.com' })).toMatchObject({
      code: 'ERR_CSRF',
    })
    const { call } = await browser(['https://app.example.com'])
    expect((await call({ 'sec-fetch-site': 'same-site', origin: 'https://app.example.com' })).ok).toBe(true)
    expect(await call({ 'sec-fetch-site': 'same-site', origin: 'https://blog.example.com' })).toMatchObject({
      code: 'ERR_CSRF',
    })
    expect(await call({ origin: 'https://blog.example.com' })).toMatchObject({ code: 'ERR_CSRF' })
    expect((await call({ origin: 'https://app.example.com' })).ok).toBe(true)
  })

  it('trustedOrigins must be origins (scheme, host, port; no path)', async () => {
    const { engine } = createTestEngine()
    expect(() => createAuthHttp({ engine, transport: 'cookie', trustedOrigins: ['https://app.example.com/'] })).toThrow(
      /trustedOrigins must be a list of origins/,
    )
  })
})
