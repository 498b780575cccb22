import { describe, expect, it } from 'vitest'
import type { Body } from './body.js'
import { extractAccessToken, parseBearer, type TokenSources } from './extract.js'

const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln'

function body(fields: Record<string, unknown>): Body {
  return { type: 'json', field: (name) => fields[name] }
}

function sources(overrides: Partial<TokenSources>): TokenSources {
  return { authorization: null, cookies: new Map(), cookieName: '__Host-access_token', body: null, ...overrides }
}

describe('parseBearer', () => {
  it('reads the token, with the scheme in any case and extra spaces', () => {
    expect(parseBearer(`Bearer ${JWT}`)).toEqual({ kind: 'token', token: JWT })
    expect(parseBearer(`bearer   ${JWT} `)).toEqual({ kind: 'token', token: JWT })
    expect(parseBearer('BEARER abc==')).toEqual({ kind: 'token', token: 'abc==' })
  })

  it('ignores other schemes and absent headers', () => {
    expect(parseBearer(undefined)).toEqual({ kind: 'absent' })
    expect(parseBearer('')).toEqual({ kind: 'absent' })
    expect(parseBearer('Basic dXNlcjpwYXNz')).toEqual({ kind: 'absent' })
  })

  it('calls a Bearer header without a b64token malformed', () => {
    for (const header of [
      'Bearer',
      'Bearer ',
      'Bearer a b',
      `Bearer ${JWT}, Bearer ${JWT}`,
      'Bearer é',
      'Bearer =abc',
    ]) {
      expect(parseBearer(header)).toEqual({ kind: 'malformed' })
    }
    expect(parseBearer(`Bearer ${'a'.repeat(8193)}`)).toEqual({ kind: 'malformed' })
    expect(parseBearer('{}')).toEqual({ kind: 'malformed' })
  })
})

describe('extractAccessToken', () => {
  const both = sources({
    authorization: 'Bearer from.header.x',
    cookies: new Map([['__Host-access_token', 'from.cookie.x']]),
  })

  it('takes the first location in the configured order', () => {
    expect(extractAccessToken(both, ['header', 'cookie'])).toMatchObject({
      ok: true,
      location: 'header',
      token: 'from.header.x',
    })
    expect(extractAccessToken(both, ['cookie', 'header'])).toMatchObject({
      ok: true,
      location: 'cookie',
      token: 'from.cookie.x',
    })
  })

  it('only looks where it is allowed to', () => {
    expect(extractAccessToken(sources({ authorization: `Bearer ${JWT}` }), ['cookie'])).toMatchObject({
      ok: false,
      code: 'ERR_ACCESS_TOKEN_MISSING',
    })
    const withBody = sources({ body: body({ access_token: JWT }) })
    expect(extractAccessToken(withBody, ['header'])).toMatchObject({ code: 'ERR_ACCESS_TOKEN_MISSING' })
    expect(extractAccessToken(withBody, ['header', 'body'])).toMatchObject({ ok: true, location: 'body', token: JWT })
  })

  it('falls through another auth scheme but stops at a broken credential', () => {
    const basic = sources({ authorization: 'Basic abc', cookies: new Map([['__Host-access_token', JWT]]) })
    expect(extractAccessToken(basic, ['header', 'cookie'])).toMatchObject({ ok: true, location: 'cookie' })
    const broken = sources({ authorization: 'Bearer ???', cookies: new Map([['__Host-access_token', JWT]]) })
    expect(extractAccessToken(broken, ['header', 'cookie'])).toMatchObject({ code: 'ERR_ACCESS_TOKEN_MALFORMED' })
  })

  it('calls a cookie or body value that is not a token malformed', () => {
    const badCookie = sources({ cookies: new Map([['__Host-access_token', 'a;b\u0000']]) })
    expect(extractAccessToken(badCookie, ['cookie'])).toMatchObject({ code: 'ERR_ACCESS_TOKEN_MALFORMED' })
    for (const value of [42, { a: 1 }, ['x'], '', 'not a token']) {
      expect(extractAccessToken(sources({ body: body({ access_token: value }) }), ['body'])).toMatchObject({
        code: 'ERR_ACCESS_TOKEN_MALFORMED',
      })
    }
  })

  it('treats an empty cookie as absent (a cleared cookie)', () => {
    const cleared = sources({ cookies: new Map([['__Host-access_token', '']]) })
    expect(extractAccessToken(cleared, ['cookie'])).toMatchObject({ code: 'ERR_ACCESS_TOKEN_MISSING' })
  })
})
