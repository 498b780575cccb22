import { describe, expect, it } from 'vitest'
import { pathOf } from './translate.js'

describe('pathOf', () => {
  it('keeps the path and query as sent, without parsing the URL', () => {
    expect(pathOf('http://127.0.0.1:3000/auth/refresh')).toBe('/auth/refresh')
    expect(pathOf('https://a.example/auth/sessions/abc%2F?x=1&y=2')).toBe('/auth/sessions/abc%2F?x=1&y=2')
    expect(pathOf('http://a.example')).toBe('/')
    expect(pathOf('http://a.example/p#frag')).toBe('/p')
    expect(pathOf('/already/a/path?q')).toBe('/already/a/path?q')
  })
  it('agrees with URL for ordinary request URLs', () => {
    for (const u of ['http://h/a/b?c=d', 'http://h:8080/auth/jwks', 'https://h/x/y/z?']) {
      const url = new URL(u)
      expect(pathOf(u)).toBe(url.pathname + (u.endsWith('?') ? '?' : url.search))
    }
  })
})
