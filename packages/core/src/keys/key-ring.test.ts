import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { isAuthError } from '../errors/index.js'
import { createAccessTokenCodec } from '../tokens/index.js'
import { createKeyRing, deriveKeyRing } from './index.js'
import type { KeyRingInput } from './types.js'

const ed = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
const refresh = [{ kid: 'r1', secret: new Uint8Array(32).fill(1) }]
const SECRET = 'FKNwrIABOyaH2WN2FhIxlpesaZckMtlGPPsJDdxyBhQ='
const OTHER_SECRET = 'wP0fRjFTT+ZDdX0LXT9QIhIKtwTK5AsqtiljrgEi0a8='

function configError(input: KeyRingInput, mentions: RegExp): void {
  let thrown: unknown
  try {
    createKeyRing(input)
  } catch (error) {
    thrown = error
  }
  expect(isAuthError(thrown) && thrown.code).toBe('ERR_CONFIG_INVALID')
  expect((thrown as Error).message).toMatch(mentions)
}

describe('createKeyRing refuses bad configuration, naming the problem', () => {
  test.each<[string, KeyRingInput, RegExp]>([
    ['no signing keys', { signing: [], refresh }, /signing/],
    ['no refresh keys', { signing: [{ kid: 'a', alg: 'EdDSA', privateKey: ed.privateKey }], refresh: [] }, /refresh/],
    [
      'a duplicate signing kid',
      {
        signing: [
          { kid: 'a', alg: 'EdDSA', privateKey: ed.privateKey },
          { kid: 'a', alg: 'ES256', publicKey: ec.publicKey },
        ],
        refresh,
      },
      /duplicate signing kid "a"/,
    ],
    [
      'a duplicate refresh kid',
      { signing: [{ kid: 'a', alg: 'EdDSA', privateKey: ed.privateKey }], refresh: [...refresh, ...refresh] },
      /duplicate refresh kid "r1"/,
    ],
    [
      'an HS256 secret under 32 bytes',
      { signing: [{ kid: 'h', alg: 'HS256', secret: 'x'.repeat(31) }], refresh },
      /"h".*at least 32 bytes/,
    ],
    [
      'a refresh secret under 32 bytes',
      {
        signing: [{ kid: 'h', alg: 'HS256', secret: 'x'.repeat(32) }],
        refresh: [{ kid: 'r', secret: new Uint8Array(31) }],
      },
      /refresh key "r".*at least 32 bytes/,
    ],
    [
      'an active key without its private key',
      { signing: [{ kid: 'p', alg: 'EdDSA', publicKey: ed.publicKey }], refresh },
      /"p" is the active signing key.*privateKey/,
    ],
    ['EdDSA with an EC key', { signing: [{ kid: 'm', alg: 'EdDSA', privateKey: ec.privateKey }], refresh }, /Ed25519/],
    [
      'ES256 with an Ed25519 key',
      { signing: [{ kid: 'm', alg: 'ES256', privateKey: ed.privateKey }], refresh },
      /P-256/,
    ],
    [
      'ES256 with a P-384 key',
      { signing: [{ kid: 'm', alg: 'ES256', privateKey: ec384.privateKey }], refresh },
      /P-256/,
    ],
    ['RS256 with an EC key', { signing: [{ kid: 'm', alg: 'RS256', privateKey: ec.privateKey }], refresh }, /RSA/],
    [
      'RS256 under 2048 bits',
      { signing: [{ kid: 'm', alg: 'RS256', privateKey: rsa1024.privateKey }], refresh },
      /2048/,
    ],
    ['HS256 given a key pair', { signing: [{ kid: 'm', alg: 'HS256', privateKey: ed.privateKey }], refresh }, /secret/],
    [
      'an asymmetric alg given a secret',
      { signing: [{ kid: 'm', alg: 'EdDSA', secret: 'x'.repeat(40), privateKey: ed.privateKey }], refresh },
      /not a secret/,
    ],
    [
      'an unknown alg',
      { signing: [{ kid: 'u', alg: 'none' as 'HS256', secret: 'x'.repeat(40) }], refresh },
      /unknown alg "none"/,
    ],
    [
      'a publicKey that is not the privateKey’s',
      {
        signing: [
          { kid: 'x', alg: 'EdDSA', privateKey: ed.privateKey, publicKey: generateKeyPairSync('ed25519').publicKey },
        ],
        refresh,
      },
      /does not belong/,
    ],
    [
      'an active key that retires',
      { signing: [{ kid: 'a', alg: 'EdDSA', privateKey: ed.privateKey, retiresAt: 5 }], refresh },
      /active signing key "a" cannot have retiresAt/,
    ],
    [
      'an unknown active kid',
      { signing: [{ kid: 'a', alg: 'EdDSA', privateKey: ed.privateKey }], activeSigningKid: 'b', refresh },
      /activeSigningKid "b"/,
    ],
    [
      'a refresh kid that cannot travel in a token',
      {
        signing: [{ kid: 'a', alg: 'EdDSA', privateKey: ed.privateKey }],
        refresh: [{ kid: 'r.1', secret: new Uint8Array(32) }],
      },
      /refresh kid "r.1"/,
    ],
    [
      'a PEM that is not a key',
      {
        signing: [
          { kid: 'a', alg: 'EdDSA', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
        ],
        refresh,
      },
      /"a": privateKey could not be imported/,
    ],
  ])('%s', (_name, input, mentions) => configError(input, mentions))
})

describe('createKeyRing', () => {
  test('accepts KeyObjects, PEM strings and JWKs, and serves public keys only in the JWKS', () => {
    const ring = createKeyRing({
      signing: [
        { kid: 'ed', alg: 'EdDSA', privateKey: ed.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
        { kid: 'ec', alg: 'ES256', privateKey: ec.privateKey.export({ format: 'jwk' }) },
        { kid: 'rs', alg: 'RS256', privateKey: rsa.privateKey },
        { kid: 'hs', alg: 'HS256', secret: 'y'.repeat(32) },
      ],
      refresh,
    })
    const { keys } = ring.jwks(0)
    expect(keys.map((k) => k.kid)).toEqual(['ed', 'ec', 'rs'])
    for (const key of keys) {
      for (const secretMember of ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth'])
        expect(key).not.toHaveProperty(secretMember)
      expect(key.use).toBe('sig')
    }
    expect(keys.map((k) => k.alg)).toEqual(['EdDSA', 'ES256', 'RS256'])
    expect(JSON.stringify(ring.jwks(0))).not.toContain('yyyy')
    expect(ring.activeSigning).toEqual({ kid: 'ed', alg: 'EdDSA' })
  })

  test('retirement drops a key from verification and from the JWKS', async () => {
    const T = Date.UTC(2026, 5, 1)
    const old = createKeyRing({ signing: [{ kid: 'old', alg: 'EdDSA', privateKey: ed.privateKey }], refresh })
    const rotated = createKeyRing({
      signing: [
        { kid: 'new', alg: 'ES256', privateKey: ec.privateKey },
        { kid: 'old', alg: 'EdDSA', publicKey: ed.publicKey, retiresAt: T },
      ],
      refresh: [
        { kid: 'r2', secret: new Uint8Array(32).fill(2) },
        { ...refresh[0]!, retiresAt: T },
      ],
    })
    expect(rotated.jwks(T - 1).keys.map((k) => k.kid)).toEqual(['new', 'old'])
    expect(rotated.jwks(T).keys.map((k) => k.kid)).toEqual(['new'])
    expect(rotated.signingKey('old', T - 1).status).toBe('ok')
    expect(rotated.signingKey('old', T).status).toBe('retired')
    expect(rotated.signingKey('nope', 0).status).toBe('unknown')
    expect(rotated.refreshKey('r1', T - 1).status).toBe('ok')
    expect(rotated.refreshKey('r1', T).status).toBe('retired')
    expect(rotated.refreshKey('zz', 0).status).toBe('unknown')
    expect(rotated.activeRefreshKid).toBe('r2')

    const claims = {
      iss: 'i',
      aud: 'a',
      sub: 's',
      jti: 'j',
      sid: 'f',
      iat: T / 1000 - 10,
      exp: T / 1000 + 600,
      auth_time: 0,
    }
    const token = await createAccessTokenCodec({ keyRing: old, issuer: 'i', audience: 'a', leeway: 0 }).sign(claims)
    const verifier = createAccessTokenCodec({ keyRing: rotated, issuer: 'i', audience: 'a', leeway: 0, cache: false })
    expect((await verifier.verify(token, T - 1)).ok).toBe(true)
    expect(await verifier.verify(token, T)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_INVALID' })
  })
})

describe('deriveKeyRing', () => {
  test.each(['EdDSA', 'ES256', 'HS256'] as const)(
    '%s: deterministic across calls, distinct per secret',
    async (alg) => {
      const a = deriveKeyRing(SECRET, { alg })
      const b = deriveKeyRing(SECRET, { alg })
      const other = deriveKeyRing(OTHER_SECRET, { alg })
      expect(a.activeSigning).toEqual(b.activeSigning)
      expect(a.activeSigning.alg).toBe(alg)
      expect(a.jwks(0)).toEqual(b.jwks(0))
      expect(a.activeRefreshKid).toBe(b.activeRefreshKid)
      const secretA = a.refreshKey(a.activeRefreshKid, 0)
      const secretB = b.refreshKey(b.activeRefreshKid, 0)
      expect(secretA).toEqual(secretB)
      expect(other.activeSigning.kid).not.toBe(a.activeSigning.kid)
      expect(other.refreshKey(other.activeRefreshKid, 0)).not.toEqual(secretA)
      if (secretA.status === 'ok') expect(secretA.secret.length).toBe(32)

      // A token one node signs, another node derived from the same secret verifies.
      const now = Date.UTC(2026, 0, 1)
      const claims = {
        iss: 'i',
        aud: 'a',
        sub: 's',
        jti: 'j',
        sid: 'f',
        iat: now / 1000,
        exp: now / 1000 + 60,
        auth_time: 0,
      }
      const token = await createAccessTokenCodec({ keyRing: a, issuer: 'i', audience: 'a', leeway: 0 }).sign(claims)
      expect(
        await createAccessTokenCodec({ keyRing: b, issuer: 'i', audience: 'a', leeway: 0 }).verify(token, now),
      ).toEqual({
        ok: true,
        claims,
      })
      const foreign = await createAccessTokenCodec({ keyRing: other, issuer: 'i', audience: 'a', leeway: 0 }).verify(
        token,
        now,
      )
      expect(foreign.ok).toBe(false)
    },
  )

  test('EdDSA is the default and HS256 keys never reach the JWKS', () => {
    expect(deriveKeyRing(SECRET).activeSigning.alg).toBe('EdDSA')
    expect(deriveKeyRing(SECRET).jwks(0).keys).toHaveLength(1)
    expect(deriveKeyRing(SECRET, { alg: 'HS256' }).jwks(0).keys).toEqual([])
  })

  test('refuses short secrets and RS256', () => {
    for (const [secret, alg, message] of [
      ['x'.repeat(31), 'EdDSA', /31 characters long, shorter than 32/],
      [SECRET, 'RS256', /cannot derive RS256/],
    ] as const) {
      let thrown: unknown
      try {
        deriveKeyRing(secret, { alg })
      } catch (error) {
        thrown = error
      }
      expect(isAuthError(thrown) && thrown.code).toBe('ERR_CONFIG_INVALID')
      expect((thrown as Error).message).toMatch(message)
    }
  })

  test('secrets must be 32 random bytes: refusals name the field, the reason and how to make one', () => {
    const refused = (secret: string | Uint8Array): string => {
      try {
        deriveKeyRing(secret)
      } catch (error) {
        expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
        return (error as Error).message
      }
      throw new Error(`accepted ${String(secret)}`)
    }
    expect(refused('a'.repeat(32))).toMatch(/^secret: it encodes only 16 bytes\..*openssl rand -base64 32/)
    expect(refused('a'.repeat(44))).toMatch(/^secret: it encodes only 22 bytes/)
    expect(refused('z'.repeat(44))).toMatch(/^secret: it is not base64/)
    expect(refused('Q'.repeat(22) + 'q'.repeat(22))).toMatch(/^secret: its bytes repeat like a pattern/)
    expect(refused('correct horse battery staple, 32+ characters long')).toMatch(
      /^secret: it is not base64, base64url or hex \(a passphrase, however long, is guessable\)/,
    )
    expect(refused('an-example-secret-of-at-least-32-characters')).toMatch(/not base64/)
    expect(refused(new Uint8Array(32).fill(1))).toMatch(/^secret: the Uint8Array is not 32 random bytes/)
    expect(refused(new Uint8Array(16))).toMatch(/encodes only 16 bytes/)
    expect(refused('a'.repeat(32))).toMatch(/offline.*dangerouslyAllowWeakSecret: true/)
  })

  test('accepts what openssl rand prints (base64, base64url, hex) and random bytes; derives from a string’s UTF-8 as before', () => {
    const bytes = randomBytes(32)
    for (const secret of [
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      new Uint8Array(bytes),
    ]) {
      expect(deriveKeyRing(secret).activeSigning.alg).toBe('EdDSA')
    }
    // A string is derived from as its UTF-8: the keys (and kids) of an existing secret stay.
    const fromString = deriveKeyRing(SECRET)
    const fromUtf8 = deriveKeyRing(new TextEncoder().encode(SECRET), { dangerouslyAllowWeakSecret: true })
    expect(fromUtf8.activeSigning.kid).toBe(fromString.activeSigning.kid)
    expect(fromUtf8.activeRefreshKid).toBe(fromString.activeRefreshKid)
    // The flag accepts a weak one, for a throwaway demo.
    expect(deriveKeyRing('a'.repeat(32), { dangerouslyAllowWeakSecret: true }).activeSigning.alg).toBe('EdDSA')
  })

  test("an algorithm that is not a JOSE name lists the valid ones ('ed25519' is 'EdDSA')", () => {
    expect(() => deriveKeyRing(SECRET, { alg: 'ed25519' as never })).toThrow(
      /^algorithm: "ed25519" is not one of EdDSA, ES256, RS256, HS256 \(names as in JOSE: 'EdDSA' for Ed25519\)/,
    )
  })

  test('a refresh MAC secret given as a string says how to pass bytes; the engine names its secret option', async () => {
    expect(() =>
      createKeyRing({
        signing: [{ kid: 'h', alg: 'HS256', secret: new Uint8Array(randomBytes(32)) }],
        refresh: [{ kid: 'r1', secret: 'c2VjcmV0' as unknown as Uint8Array }],
      }),
    ).toThrow(/refresh key "r1": secret must be bytes, not a string; decode the string you keep, e\.g\. Buffer\.from\(/)
    const { createEngine } = await import('../engine/engine.js')
    const { createTestStore } = await import('../testing/index.js')
    expect(() =>
      createEngine({ store: createTestStore(), issuer: 'https://i.test', audience: 'a', secret: 'a'.repeat(32) }),
    ).toThrow(/^createEngine: secret: it encodes only 16 bytes.*openssl rand -base64 32/)
  })
})
