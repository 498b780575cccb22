import { createHmac, generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createKeyRing } from '../../keys/index.js'
import type { AccessClaims } from '../types.js'
import { createAccessTokenCodec, MAX_ACCESS_TOKEN_LENGTH } from './codec.js'

const NOW = Date.UTC(2026, 0, 1)
const S = NOW / 1000
const HS_SECRET = 'an HS256 secret of at least 32 bytes!'
const ed = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const refresh = [{ kid: 'r1', secret: new Uint8Array(32).fill(3) }]

const ring = createKeyRing({
  signing: [
    { kid: 'ed', alg: 'EdDSA', privateKey: ed.privateKey },
    { kid: 'ec', alg: 'ES256', privateKey: ec.privateKey },
    { kid: 'rs', alg: 'RS256', privateKey: rsa.privateKey },
    { kid: 'hs', alg: 'HS256', secret: HS_SECRET },
  ],
  refresh,
})

const claims: AccessClaims = {
  iss: 'https://issuer.example',
  aud: 'api',
  sub: 'user-1',
  iat: S,
  exp: S + 900,
  jti: 'jti-1',
  sid: 'family-1',
  auth_time: S,
  role: 'admin',
}

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** Builds a compact JWS by hand, signing with whatever the attacker chooses. */
/** True when `t` differs from `good` only in how its last signature character spells the same bytes. */
function sameSignatureBytes(t: string, good: string): boolean {
  if (t.length !== good.length || t.slice(0, -1) !== good.slice(0, -1)) return false
  const sig = (x: string) => Buffer.from(x.slice(x.lastIndexOf('.') + 1), 'base64url')
  return /^[A-Za-z0-9_-]$/.test(t.slice(-1)) && sig(t).equals(sig(good))
}

function craft(
  header: unknown,
  payload: unknown,
  signer: 'ed' | 'ec' | 'rs' | 'hs' | 'none' | ((input: string) => string) = 'ed',
): string {
  const input = `${b64(header)}.${b64(payload)}`
  const signature =
    typeof signer === 'function'
      ? signer(input)
      : signer === 'none'
        ? ''
        : signer === 'hs'
          ? createHmac('sha256', HS_SECRET).update(input).digest('base64url')
          : signer === 'ed'
            ? nodeSign(null, Buffer.from(input), ed.privateKey).toString('base64url')
            : signer === 'ec'
              ? nodeSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString(
                  'base64url',
                )
              : nodeSign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')
  return `${input}.${signature}`
}

const header = (kid: string, alg: string) => ({ alg, typ: 'at+jwt', kid })

for (const implementation of ['node', 'jose'] as const) {
  const codec = createAccessTokenCodec({
    keyRing: ring,
    issuer: claims.iss,
    audience: ['api', 'other-api'],
    leeway: 0,
    cache: false,
    implementation,
  })
  const expectCode = async (token: unknown, code: string) => {
    const result = await codec.verify(token as string, NOW)
    expect(result).toEqual({ ok: false, code, message: expect.any(String) })
  }

  describe(`access tokens (${implementation})`, () => {
    test('validly signed tokens whose header or payload bytes are not UTF-8 are refused as MALFORMED (RFC 7515 §5.2)', async () => {
      /** A compact JWS over raw bytes, signed with the real keys (HS256 and EdDSA). */
      const craftBytes = (headerBytes: Buffer, payloadBytes: Buffer, signer: 'hs' | 'ed') => {
        const input = `${headerBytes.toString('base64url')}.${payloadBytes.toString('base64url')}`
        const signature =
          signer === 'hs'
            ? createHmac('sha256', HS_SECRET).update(input).digest('base64url')
            : nodeSign(null, Buffer.from(input), ed.privateKey).toString('base64url')
        return `${input}.${signature}`
      }
      const json = (value: unknown) => Buffer.from(JSON.stringify(value))
      for (const [kid, alg] of [
        ['hs', 'HS256'],
        ['ed', 'EdDSA'],
      ] as const) {
        const goodHeader = json(header(kid, alg))
        // The control: the same bytes, well formed, verify.
        expect((await codec.verify(craftBytes(goodHeader, json(claims), kid), NOW)).ok).toBe(true)
        // A sub of "alice" followed by a broken byte: Buffer's decoder would make it "alice\uFFFD".
        const brokenSub = Buffer.concat([
          Buffer.from(JSON.stringify({ ...claims, sub: 'alice' }).replace('"sub":"alice"', '"sub":"alice')),
          Buffer.from([0xff]),
          Buffer.from(JSON.stringify({ ...claims, sub: 'alice' }).split('"sub":"alice')[1] as string),
        ])
        await expectCode(craftBytes(goodHeader, brokenSub, kid), 'ERR_ACCESS_TOKEN_MALFORMED')
        // A header member with bytes that are no UTF-8 at all, and an overlong encoding (C0 80).
        const brokenHeader = Buffer.concat([
          Buffer.from(`{"alg":"${alg}","typ":"at+jwt","kid":"${kid}","x":"`),
          Buffer.from([0xff, 0xfe, 0xc0, 0x80]),
          Buffer.from('"}'),
        ])
        await expectCode(craftBytes(brokenHeader, json(claims), kid), 'ERR_ACCESS_TOKEN_MALFORMED')
      }
    })

    test('tokens signed by each key of the ring verify', async () => {
      for (const [kid, alg] of [
        ['ed', 'EdDSA'],
        ['ec', 'ES256'],
        ['rs', 'RS256'],
        ['hs', 'HS256'],
      ] as const) {
        expect(await codec.verify(craft(header(kid, alg), claims, kid), NOW)).toEqual({ ok: true, claims })
      }
      // Our own signature, under the active key, with the header we write.
      const token = await codec.sign(claims)
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual(header('ed', 'EdDSA'))
      expect(await codec.verify(token, NOW)).toEqual({ ok: true, claims })
    })

    test('alg none in any letter case is refused', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.mixedCase(fc.constant('none')),
          fc.constantFrom('ed', 'ec', 'rs', 'hs'),
          fc.boolean(),
          async (alg, kid, withSignature) => {
            const token = craft(header(kid, alg), claims, withSignature ? 'hs' : 'none')
            await expectCode(token, 'ERR_ACCESS_TOKEN_INVALID')
          },
        ),
        { numRuns: 100 },
      )
      // Without a kid at all, too.
      await expectCode(craft({ alg: 'none', typ: 'at+jwt' }, claims, 'none'), 'ERR_ACCESS_TOKEN_MALFORMED')
    })

    test('HS/RS confusion: an HS256 token keyed with the RS256 public key PEM is refused', async () => {
      const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string
      const hmacWithPem = (input: string) => createHmac('sha256', pem).update(input).digest('base64url')
      await expectCode(craft(header('rs', 'HS256'), claims, hmacWithPem), 'ERR_ACCESS_TOKEN_INVALID')
      // Every other algorithm swap as well.
      for (const [kid, alg, signer] of [
        ['rs', 'ES256', 'ec'],
        ['ec', 'EdDSA', 'ed'],
        ['ed', 'HS256', 'hs'],
        ['hs', 'RS256', 'rs'],
        ['ed', 'Ed25519', 'ed'],
        ['ed', 'eddsa', 'ed'],
      ] as const) {
        await expectCode(craft(header(kid, alg), claims, signer), 'ERR_ACCESS_TOKEN_INVALID')
      }
    })

    test('an unknown kid, a missing kid, a missing or wrong typ, crit', async () => {
      await expectCode(craft(header('nope', 'EdDSA'), claims), 'ERR_ACCESS_TOKEN_INVALID')
      await expectCode(craft({ alg: 'EdDSA', typ: 'at+jwt' }, claims), 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(craft({ alg: 'EdDSA', kid: 'ed' }, claims), 'ERR_ACCESS_TOKEN_INVALID')
      await expectCode(craft({ alg: 'EdDSA', kid: 'ed', typ: 'JWT' }, claims), 'ERR_ACCESS_TOKEN_INVALID')
      await expectCode(craft({ alg: 'EdDSA', kid: 'ed', typ: 7 }, claims), 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(craft({ ...header('ed', 'EdDSA'), crit: ['exp'], exp: 1 }, claims), 'ERR_ACCESS_TOKEN_INVALID')
      // typ is a media type: case-insensitive, with or without application/.
      for (const typ of ['AT+JWT', 'application/at+jwt', 'Application/At+Jwt']) {
        expect((await codec.verify(craft({ typ, kid: 'ed', alg: 'EdDSA' }, claims), NOW)).ok).toBe(true)
      }
    })

    test('bad base64url, bad JSON, wrong shapes', async () => {
      const good = craft(header('ed', 'EdDSA'), claims)
      const [h, p, s] = good.split('.') as [string, string, string]
      await expectCode(`${h}*.${p}.${s}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${b64('{"alg":')}.${p}.${s}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${b64('[1]')}.${p}.${s}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${h}.${p}.${s.slice(0, -2)}+/`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${h}.${p}.${s}=`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${h}.${p}.${s.slice(1)}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${h}.${p}*.${s}`, 'ERR_ACCESS_TOKEN_INVALID') // the signature covers the segment as written
      await expectCode(`${h}.${p}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`${h}.${p}.${s}.${s}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(`.${p}.${s}`, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode('', 'ERR_ACCESS_TOKEN_MISSING')
      await expectCode(undefined, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode({ toString: () => good }, 'ERR_ACCESS_TOKEN_MALFORMED')
      // Correctly signed, but the payload is not a JSON object.
      const notJson = `${h}.${b64('not json')}`
      await expectCode(
        `${notJson}.${nodeSign(null, Buffer.from(notJson), ed.privateKey).toString('base64url')}`,
        'ERR_ACCESS_TOKEN_MALFORMED',
      )
      await expectCode(craft(header('ed', 'EdDSA'), [claims]), 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(craft(header('ed', 'EdDSA'), null), 'ERR_ACCESS_TOKEN_MALFORMED')
    })

    test('a 1 MB token is refused before any work', async () => {
      const huge = `${'a'.repeat(500_000)}.${'b'.repeat(500_000)}.c`
      await expectCode(huge, 'ERR_ACCESS_TOKEN_MALFORMED')
      await expectCode(
        craft(header('ed', 'EdDSA'), { ...claims, pad: 'x'.repeat(MAX_ACCESS_TOKEN_LENGTH) }),
        'ERR_ACCESS_TOKEN_MALFORMED',
      )
    })

    test('claim types: exp as a string and friends', async () => {
      for (const [name, value] of [
        ['exp', String(S + 900)],
        ['exp', null],
        ['iat', '0'],
        ['auth_time', undefined],
        ['sub', ''],
        ['sub', 42],
        ['sid', undefined],
        ['jti', ['j']],
        ['iss', 1],
        ['aud', 5],
        ['aud', ['api', 5]],
        ['nbf', 'soon'],
      ] as const) {
        await expectCode(craft(header('ed', 'EdDSA'), { ...claims, [name]: value }), 'ERR_ACCESS_TOKEN_MALFORMED')
      }
      // Forged (signed by a key we do not hold): the signature fails first.
      const stranger = generateKeyPairSync('ed25519').privateKey
      const forged = craft(header('ed', 'EdDSA'), { ...claims, exp: 'never' }, (input) =>
        nodeSign(null, Buffer.from(input), stranger).toString('base64url'),
      )
      await expectCode(forged, 'ERR_ACCESS_TOKEN_INVALID')
    })

    test('issuer, audience, expiry, iat and nbf', async () => {
      await expectCode(
        craft(header('ed', 'EdDSA'), { ...claims, iss: 'https://evil.example' }),
        'ERR_ACCESS_TOKEN_INVALID',
      )
      await expectCode(craft(header('ed', 'EdDSA'), { ...claims, aud: 'elsewhere' }), 'ERR_ACCESS_TOKEN_INVALID')
      await expectCode(craft(header('ed', 'EdDSA'), { ...claims, aud: [] }), 'ERR_ACCESS_TOKEN_INVALID')
      const multi = { ...claims, aud: ['elsewhere', 'other-api'] }
      expect(await codec.verify(craft(header('ed', 'EdDSA'), multi), NOW)).toEqual({ ok: true, claims: multi })
      await expectCode(craft(header('ed', 'EdDSA'), { ...claims, exp: S }), 'ERR_ACCESS_TOKEN_EXPIRED')
      await expectCode(craft(header('ed', 'EdDSA'), { ...claims, exp: S - 1 }), 'ERR_ACCESS_TOKEN_EXPIRED')
      expect((await codec.verify(craft(header('ed', 'EdDSA'), { ...claims, exp: S + 1 }), NOW)).ok).toBe(true)
      await expectCode(craft(header('ed', 'EdDSA'), { ...claims, iat: S + 1 }), 'ERR_ACCESS_TOKEN_INVALID')
      await expectCode(craft(header('ed', 'EdDSA'), { ...claims, nbf: S + 1 }), 'ERR_ACCESS_TOKEN_INVALID')
    })

    test('leeway tolerates that much clock skew and no more', async () => {
      const lenient = createAccessTokenCodec({
        keyRing: ring,
        issuer: claims.iss,
        audience: 'api',
        leeway: 15_000,
        implementation,
      })
      const token = craft(header('ed', 'EdDSA'), { ...claims, iat: S + 15, exp: S - 14 })
      expect((await lenient.verify(token, NOW)).ok).toBe(true)
      expect((await lenient.verify(token, NOW + 1000)).ok).toBe(false)
      expect(await lenient.verify(craft(header('ed', 'EdDSA'), { ...claims, iat: S + 16 }), NOW)).toMatchObject({
        code: 'ERR_ACCESS_TOKEN_INVALID',
      })
    })

    test('any string, any value: a typed failure, never a throw', async () => {
      const good = craft(header('hs', 'HS256'), claims, 'hs')
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.string({ unit: 'binary' }),
            fc.anything(),
            fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join('.')),
            fc
              .tuple(fc.nat(good.length), fc.string())
              .map(([i, s]) => good.slice(0, i) + s + good.slice(i + 1))
              // A "mutation" that writes back the same character is the good token itself, and one
              // that only flips the spare low bits of the last signature character spells the same
              // signature bytes (jose accepts that spelling; see the differential tests).
              .filter((t) => t !== good && !sameSignatureBytes(t, good)),
          ),
          async (input) => {
            const result = await codec.verify(input as string, NOW)
            expect(result.ok).toBe(false)
            if (!result.ok) expect(result.code).toMatch(/^ERR_ACCESS_TOKEN_(MISSING|MALFORMED|INVALID|EXPIRED)$/)
          },
        ),
        { numRuns: 500 },
      )
    })
  })
}

describe('verified-token cache', () => {
  const make = (cache?: false | { max?: number }, keyRing = ring) =>
    createAccessTokenCodec({
      keyRing,
      issuer: claims.iss,
      audience: 'api',
      leeway: 0,
      ...(cache === undefined ? {} : { cache }),
    })

  test('a hit returns the verified result; cache: false verifies every time', async () => {
    const token = craft(header('ec', 'ES256'), claims, 'ec')
    const cached = make()
    const first = await cached.verify(token, NOW)
    expect(first.ok).toBe(true)
    expect(await cached.verify(token, NOW + 1)).toBe(first)
    const uncached = make(false)
    const a = await uncached.verify(token, NOW)
    expect(a).toEqual(first)
    expect(await uncached.verify(token, NOW)).not.toBe(a)
  })

  test('entries die at exp, even with leeway, and the key retirement is honoured on a hit', async () => {
    const token = craft(header('ed', 'EdDSA'), { ...claims, exp: S + 10 })
    const codec = make()
    expect((await codec.verify(token, NOW)).ok).toBe(true)
    expect((await codec.verify(token, NOW + 9_999)).ok).toBe(true)
    expect(await codec.verify(token, NOW + 10_000)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_EXPIRED' })

    const T = NOW + 5_000
    const retiring = createKeyRing({
      signing: [
        { kid: 'hs', alg: 'HS256', secret: HS_SECRET },
        { kid: 'ed', alg: 'EdDSA', publicKey: ed.publicKey, retiresAt: T },
      ],
      refresh,
    })
    const c = make({}, retiring)
    const t = craft(header('ed', 'EdDSA'), claims)
    expect((await c.verify(t, NOW)).ok).toBe(true)
    expect(await c.verify(t, T)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_INVALID' })
  })

  test('bounded by max; failures are not cached', async () => {
    const codec = make({ max: 1 })
    const a = craft(header('ed', 'EdDSA'), { ...claims, jti: 'a' })
    const b = craft(header('ed', 'EdDSA'), { ...claims, jti: 'b' })
    const first = await codec.verify(a, NOW)
    expect(await codec.verify(a, NOW)).toBe(first)
    await codec.verify(b, NOW)
    expect(await codec.verify(a, NOW)).not.toBe(first)
    const bad = craft(header('ed', 'EdDSA'), { ...claims, iss: 'x' })
    expect(await codec.verify(bad, NOW)).toMatchObject({ ok: false })
    expect(await codec.verify(b, NOW)).toMatchObject({ ok: true })
  })

  test('a token sharing the signature tail of a cached one, but not its payload, is verified in full and refused', async () => {
    const codec = make()
    const good = craft(header('ed', 'EdDSA'), claims)
    const first = await codec.verify(good, NOW)
    expect(first.ok).toBe(true)
    const [h, , signature] = good.split('.')
    const forged = `${h}.${b64({ ...claims, sub: 'admin' })}.${signature}`
    expect(forged.slice(-43)).toBe(good.slice(-43))
    expect(await codec.verify(forged, NOW)).toMatchObject({ ok: false, code: 'ERR_ACCESS_TOKEN_INVALID' })
    // The real token's entry is untouched.
    expect(await codec.verify(good, NOW)).toBe(first)
    // So is a forgery that changes only the signature's head.
    const flipped = `${good.slice(0, good.length - 60)}${good[good.length - 60] === 'A' ? 'B' : 'A'}${good.slice(good.length - 59)}`
    expect(flipped.slice(-43)).toBe(good.slice(-43))
    expect(await codec.verify(flipped, NOW)).toMatchObject({ ok: false })
  })

  test('bad options are refused', () => {
    expect(() => make({ max: 0 })).toThrow(/cache.max/)
    expect(() => createAccessTokenCodec({ keyRing: ring, issuer: '', audience: 'api', leeway: 0 })).toThrow(/issuer/)
    expect(() => createAccessTokenCodec({ keyRing: ring, issuer: 'i', audience: [], leeway: 0 })).toThrow(/audience/)
    expect(() => createAccessTokenCodec({ keyRing: ring, issuer: 'i', audience: 'a', leeway: -1 })).toThrow(/leeway/)
  })
})
