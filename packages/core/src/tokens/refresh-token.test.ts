import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createSeededRandom } from '../testing/index.js'
import {
  encodeRefreshToken,
  generateFamilyId,
  generateNonce,
  MAX_REFRESH_TOKEN_LENGTH,
  parseRefreshToken,
  verifyRefreshToken,
} from './refresh-token.js'
import type { RefreshTokenFields } from './types.js'

const base64url = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
const fields = fc.record({
  kid: fc.string({ unit: base64url, minLength: 1, maxLength: 32 }),
  familyId: fc.string({ unit: base64url, minLength: 16, maxLength: 64 }),
  generation: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
})
const key = fc.uint8Array({ minLength: 32, maxLength: 64 })
const nonce = fc.string({ unit: base64url, minLength: 43, maxLength: 43 })

async function authentic(token: string, k: Uint8Array, n: string): Promise<boolean> {
  const parsed = parseRefreshToken(token)
  return parsed.ok && (await verifyRefreshToken(parsed.token, k, n))
}

describe('refresh-token codec', () => {
  test('round trip: encode, parse, verify', async () => {
    await fc.assert(
      fc.asyncProperty(fields, key, nonce, async (f, k, n) => {
        const token = await encodeRefreshToken(f, k, n)
        expect(token.length).toBeLessThanOrEqual(MAX_REFRESH_TOKEN_LENGTH)
        expect(token).toMatch(/^[A-Za-z0-9._-]+$/)
        const parsed = parseRefreshToken(token)
        if (!parsed.ok) throw new Error(`did not parse: ${token}`)
        expect(parsed.token).toMatchObject({ version: 1, ...f })
        expect(await verifyRefreshToken(parsed.token, k, n)).toBe(true)
        // Deterministic: the same inputs give the same token (grace replay relies on it).
        expect(await encodeRefreshToken(f, k, n)).toBe(token)
      }),
      { numRuns: 300 },
    )
  })

  test('the format is rt1.<kid>.<familyId>.<generation>.<mac>', async () => {
    const token = await encodeRefreshToken(
      { kid: 'r1', familyId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 12 },
      new Uint8Array(32),
      'n',
    )
    expect(token).toMatch(/^rt1\.r1\.AAAAAAAAAAAAAAAAAAAAAA\.12\.[A-Za-z0-9_-]{43}$/)
  })

  test('every single-bit flip is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fields, key, nonce, fc.nat(), fc.integer({ min: 0, max: 15 }), async (f, k, n, at, bit) => {
        const token = await encodeRefreshToken(f, k, n)
        const i = at % token.length
        const flipped = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << bit)) + token.slice(i + 1)
        expect(await authentic(flipped, k, n)).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })

  test('a wrong nonce, a wrong key, or a MAC moved to another family is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fields, key, nonce, nonce, key, async (f, k, n, otherNonce, otherKey) => {
        fc.pre(otherNonce !== n)
        const token = await encodeRefreshToken(f, k, n)
        expect(await authentic(token, k, otherNonce)).toBe(false)
        fc.pre(Buffer.compare(Buffer.from(otherKey), Buffer.from(k)) !== 0)
        expect(await authentic(token, otherKey, n)).toBe(false)
      }),
      { numRuns: 200 },
    )
  })

  test("someone else's family id with a valid-looking MAC is rejected", async () => {
    const k = new Uint8Array(32).fill(9)
    const random = createSeededRandom(7)
    const mine: RefreshTokenFields = { kid: 'r1', familyId: generateFamilyId(random), generation: 4 }
    const victim = { familyId: generateFamilyId(random), nonce: generateNonce(random) }
    const myToken = await encodeRefreshToken(mine, k, generateNonce(random))
    // Keep my (authentic) MAC, put the victim's family id in front of it.
    const forged = myToken.replace(mine.familyId, victim.familyId)
    expect(parseRefreshToken(forged).ok).toBe(true)
    expect(await authentic(forged, k, victim.nonce)).toBe(false)
    // And a MAC made for another generation of the victim's family is not this generation's.
    const other = await encodeRefreshToken({ kid: 'r1', familyId: victim.familyId, generation: 5 }, k, victim.nonce)
    expect(await authentic(other.replace('.5.', '.4.'), k, victim.nonce)).toBe(false)
  })

  test.each([
    ['empty', ''],
    ['other version', 'rt2.r1.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['leading zero', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.01.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['negative', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['unsafe integer', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.9007199254740992.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['exponent', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.1e3.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['short MAC', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['non-canonical MAC', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB'],
    ['padding', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['short family', 'rt1.r1.AAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['extra segment', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.0.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['trailing newline', 'rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'],
    ['huge', `rt1.r1.${'A'.repeat(1_000_000)}`],
  ])('malformed: %s', (_name, token) => {
    expect(parseRefreshToken(token)).toEqual({
      ok: false,
      code: 'ERR_REFRESH_TOKEN_MALFORMED',
      message: expect.any(String),
    })
  })

  test('any input whatsoever gets a typed result, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (input) => {
        const result = parseRefreshToken(input)
        expect(result.ok).toBe(false)
        if (!result.ok) expect(result.code).toBe('ERR_REFRESH_TOKEN_MALFORMED')
      }),
      { numRuns: 500 },
    )
  })

  test('family ids are 128 random bits and nonces 256, base64url', () => {
    const random = createSeededRandom(1)
    const ids = new Set(Array.from({ length: 200 }, () => generateFamilyId(random)))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(generateNonce(random)).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})
