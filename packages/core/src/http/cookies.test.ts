import { parseSetCookie } from 'cookie'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { type AuthHttpCookieOptions, clearCookies, readCookies, resolveCookies, setCookie } from './cookies.js'

const bad = (message: string): never => {
  throw new AuthError('ERR_CONFIG_INVALID', message)
}
const resolve = (options?: AuthHttpCookieOptions) => resolveCookies(options, '/auth', bad)

describe('resolveCookies', () => {
  it('defaults: __Host- access and CSRF cookies at Path=/, a __Secure- refresh cookie scoped to the refresh route', () => {
    const cookies = resolve()
    expect(cookies.access).toEqual({
      name: '__Host-access_token',
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      domain: undefined,
    })
    expect(cookies.refresh).toEqual({
      name: '__Secure-refresh_token',
      path: '/auth',
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      domain: undefined,
    })
    expect(cookies.csrf).toMatchObject({ name: '__Host-csrf_token', path: '/', httpOnly: false, secure: true })
  })

  it('falls back to __Secure- when a domain is set (__Host- forbids Domain)', () => {
    const cookies = resolve({ domain: 'example.com' })
    expect(cookies.access.name).toBe('__Secure-access_token')
    expect(cookies.csrf.name).toBe('__Secure-csrf_token')
    expect(cookies.access.domain).toBe('example.com')
  })

  it('drops the prefixes only for insecure cookies, which need the scary flag', () => {
    expect(() => resolve({ secure: false })).toThrow(/dangerouslyAllowInsecureCookies/)
    const cookies = resolve({ secure: false, dangerouslyAllowInsecureCookies: true })
    expect([cookies.access.name, cookies.refresh.name, cookies.csrf.name]).toEqual([
      'access_token',
      'refresh_token',
      'csrf_token',
    ])
    expect(cookies.access.secure).toBe(false)
  })

  it('refuses what browsers would refuse or what would weaken the prefixes', () => {
    expect(() => resolve({ sameSite: 'none', secure: false, dangerouslyAllowInsecureCookies: true })).toThrow(
      /sameSite/,
    )
    expect(() => resolve({ sameSite: 'loose' as 'lax' })).toThrow(/cookies.sameSite/)
    expect(() => resolve({ names: { access: '__Host-at' } })).toThrow(/cookies.names.access/)
    expect(() => resolve({ names: { refresh: 'a b' } })).toThrow(/cookies.names.refresh/)
    expect(() => resolve({ names: { csrf: 'access_token' } })).toThrow(/different/)
    expect(() => resolve({ domain: 'exa mple.com' })).toThrow(/cookies.domain/)
    expect(() => resolve({ domain: 'https://example.com' })).toThrow(/cookies.domain/)
  })

  it('takes custom base names and SameSite values', () => {
    const cookies = resolve({ names: { access: 'at' }, sameSite: 'strict', refreshSameSite: 'lax' })
    expect(cookies.access).toMatchObject({ name: '__Host-at', sameSite: 'strict' })
    expect(cookies.refresh.sameSite).toBe('lax')
  })
})

describe('setCookie', () => {
  it('writes every attribute, with Max-Age in whole seconds', () => {
    const { access, refresh, csrf } = resolve()
    const header = setCookie(access, 'a.b.c', 900.7)
    expect(header).toBe('__Host-access_token=a.b.c; Max-Age=900; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(parseSetCookie(setCookie(refresh, 'rt', 86_400))).toEqual({
      name: '__Secure-refresh_token',
      value: 'rt',
      maxAge: 86_400,
      path: '/auth',
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
    })
    expect(setCookie(csrf, 'x', 10)).not.toMatch(/HttpOnly/)
  })

  it('writes the domain when set, and clears with Max-Age=0 at the same path and domain', () => {
    const cookies = resolve({ domain: 'example.com' })
    expect(setCookie(cookies.access, 'v', 1)).toMatch(/; Domain=example\.com/)
    const cleared = clearCookies(cookies).map((c) => parseSetCookie(c))
    expect(cleared.map((c) => [c.name, c.value, c.maxAge, c.path, c.domain])).toEqual([
      ['__Secure-access_token', '', 0, '/', 'example.com'],
      ['__Secure-refresh_token', '', 0, '/auth', 'example.com'],
      ['__Secure-csrf_token', '', 0, '/', 'example.com'],
      ['__Secure-refresh_token', '', 0, '/auth/refresh', 'example.com'],
    ])
    expect(setCookie(cookies.access, 'v', -5)).toMatch(/Max-Age=0/)
  })
})

describe('readCookies', () => {
  it('parses the Cookie header, first of a name wins', () => {
    const cookies = readCookies('a=1; __Host-access_token=x.y.z; a=2; b=%20q')
    expect(cookies.get('a')).toBe('1')
    expect(cookies.get('__Host-access_token')).toBe('x.y.z')
    expect(cookies.get('b')).toBe(' q')
  })

  it('survives garbage and ignores an oversized header', () => {
    expect(readCookies(undefined).size).toBe(0)
    expect(readCookies(';;;=;=x;\u0000\u0001é=%E0%A4%A').size).toBeGreaterThanOrEqual(0)
    expect(readCookies(`a=${'x'.repeat(20_000)}`).size).toBe(0)
    expect(readCookies('__proto__=1; constructor=2').get('__proto__')).toBe('1')
  })
})
