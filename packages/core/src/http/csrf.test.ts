import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { csrfMatches, isUnsafeMethod } from './csrf.js'

describe('csrf', () => {
  it('matches exactly equal, non-empty values', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(csrfMatches(a, b)).toBe(a !== '' && a === b)
        expect(csrfMatches(a, a)).toBe(a !== '')
      }),
      { numRuns: 1000 },
    )
    expect(csrfMatches(null, null)).toBe(false)
    expect(csrfMatches('abc', undefined)).toBe(false)
  })

  it('a one-character change anywhere fails (no prefix or length shortcut)', () => {
    const token = 'k1.Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2Fs'
    for (let i = 0; i < token.length; i++) {
      const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)
      expect(csrfMatches(token, flipped)).toBe(false)
    }
    expect(csrfMatches(token, token.slice(0, -1))).toBe(false)
  })

  it('treats every method but GET, HEAD, OPTIONS and TRACE as unsafe', () => {
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'post', 'PROPFIND']) expect(isUnsafeMethod(m)).toBe(true)
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'get']) expect(isUnsafeMethod(m)).toBe(false)
  })
})
