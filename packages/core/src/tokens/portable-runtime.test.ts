import { createHmac, generateKeyPairSync } from 'node:crypto'
import { describe, expect, test, vi } from 'vitest'
import { isAuthError } from '../errors/index.js'
import { createKeyRing, deriveKeyRing } from '../keys/index.js'
import { createAccessTokenCodec } from './access-token/index.js'
import { encodeRefreshToken, parseRefreshToken, verifyRefreshToken } from './refresh-token.js'

// A runtime without node:crypto (browsers, Workers without Node compatibility): the key ring takes
// JWKs, the codec runs on jose and Web Crypto, the refresh MAC on Web Crypto.
vi.mock('../keys/node-crypto.js', () => ({ nodeCrypto: undefined, NodeBuffer: undefined }))

const NOW = Date.UTC(2026, 0, 1)
const S = NOW / 1000
const claims = { iss: 'i', aud: 'a', sub: 's', jti: 'j', sid: 'f', iat: S, exp: S + 60, auth_time: S }
const refresh = [{ kid: 'r1', secret: new Uint8Array(32).fill(4) }]
const jwk = (pair: { privateKey: import('node:crypto').KeyObject }) => pair.privateKey.export({ format: 'jwk' })

describe('without node:crypto', () => {
  test.each([
    ['EdDSA', { privateKey: jwk(generateKeyPairSync('ed25519')) }],
    ['ES256', { privateKey: jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' })) }],
    ['RS256', { privateKey: jwk(generateKeyPairSync('rsa', { modulusLength: 2048 })) }],
    ['HS256', { secret: 'a portable HS256 secret, 32+ bytes' }],
  ] as const)('%s: JWK keys sign and verify through jose', async (alg, material) => {
    const keyRing = createKeyRing({ signing: [{ kid: 'k', alg, ...material }], refresh })
    expect(keyRing.signingKeys[0]?.node).toBeUndefined()
    for (const key of keyRing.jwks(0).keys) {
      expect(key).not.toHaveProperty('d')
      expect(key).toMatchObject({ kid: 'k', alg, use: 'sig' })
    }
    const codec = createAccessTokenCodec({ keyRing, issuer: 'i', audience: 'a', leeway: 0 })
    const token = await codec.sign(claims)
    expect(await codec.verify(token, NOW)).toEqual({ ok: true, claims })
    expect(await codec.verify(`${token.slice(0, -4)}AAAA`, NOW)).toMatchObject({ ok: false })
    expect(await codec.verify(token, NOW + 60_000)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_EXPIRED' })
  })

  test('PEM keys, key/alg mismatches and deriveKeyRing are refused with a clear message', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    const attempts: Array<[() => unknown, RegExp]> = [
      [() => createKeyRing({ signing: [{ kid: 'k', alg: 'EdDSA', privateKey: pem }], refresh }), /must be a JWK/],
      [
        () =>
          createKeyRing({
            signing: [{ kid: 'k', alg: 'ES256', privateKey: jwk(generateKeyPairSync('ed25519')) }],
            refresh,
          }),
        /does not match ES256/,
      ],
      [() => deriveKeyRing('x'.repeat(40)), /needs node:crypto/],
      [
        () =>
          createAccessTokenCodec({
            keyRing: createKeyRing({ signing: [{ kid: 'h', alg: 'HS256', secret: 'x'.repeat(32) }], refresh }),
            issuer: 'i',
            audience: 'a',
            leeway: 0,
            implementation: 'node',
          }),
        /needs node:crypto/,
      ],
    ]
    for (const [attempt, message] of attempts) {
      let thrown: unknown
      try {
        attempt()
      } catch (error) {
        thrown = error
      }
      expect(isAuthError(thrown) && thrown.code).toBe('ERR_CONFIG_INVALID')
      expect((thrown as Error).message).toMatch(message)
    }
  })

  test('the refresh MAC on Web Crypto equals HMAC-SHA-256 as node:crypto computes it', async () => {
    const key = new Uint8Array(32).fill(8)
    const fields = { kid: 'r1', familyId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 7 }
    const token = await encodeRefreshToken(fields, key, 'nonce')
    const expected = createHmac('sha256', key).update('rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.7.nonce').digest('base64url')
    expect(token).toBe(`rt1.r1.AAAAAAAAAAAAAAAAAAAAAA.7.${expected}`)
    const parsed = parseRefreshToken(token)
    if (!parsed.ok) throw new Error('did not parse')
    expect(await verifyRefreshToken(parsed.token, key, 'nonce')).toBe(true)
    expect(await verifyRefreshToken(parsed.token, key, 'other')).toBe(false)
  })
})
