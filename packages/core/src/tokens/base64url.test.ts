// The hot-path base64url codec agrees with Node's on every byte string, and refuses what is not
// canonical unpadded base64url (the refresh token's MAC must have exactly one encoding).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase64url, encodeBase64url } from './base64url.js'

describe('base64url (hot path)', () => {
  it('encodes as Buffer does and decodes back, for any bytes (property, 500 runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64url(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(decodeBase64url(text)).toEqual(bytes)
      }),
      { numRuns: 500 },
    )
  })

  it('refuses padding, other alphabets, impossible lengths and non-zero spare bits', () => {
    const mac = encodeBase64url(new Uint8Array(32).fill(255))
    expect(mac).toHaveLength(43)
    // 'AB' and 'ABC' (and the MAC ending in 'B') have spare bits that are not zero.
    for (const bad of [`${mac}=`, mac.replace(/.$/, 'B'), 'a', 'ab+c', 'ab/c', 'é', 'AB', 'ABC']) {
      expect(decodeBase64url(bad), bad).toBeNull()
    }
    expect(decodeBase64url('AA')).toEqual(new Uint8Array([0]))
    expect(decodeBase64url('')).toEqual(new Uint8Array([]))
  })
})
