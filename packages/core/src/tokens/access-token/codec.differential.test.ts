import { generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { base64url, importJWK, jwtVerify, SignJWT } from 'jose'
import { describe, expect, test } from 'vitest'
import { createKeyRing } from '../../keys/index.js'
import type { SigningAlgorithm, SigningKeyInput } from '../../keys/types.js'
import { type AccessClaims, RESERVED_CLAIMS } from '../types.js'
import { createAccessTokenCodec } from './codec.js'

/*
 * Differential properties: our node:crypto compact JWS against jose (Web Crypto).
 * - every token we sign, jose's jwtVerify accepts (typ and algorithm pinned) with the same claims;
 * - every token jose signs, we accept with the same claims;
 * - every mutated token (flipped bit, swapped segments, changed alg/typ/kid, truncated) we refuse,
 *   and jose refuses too. The one documented difference: jose's base64url decoder ignores the
 *   spare low bits of the last signature character (and whitespace), so a mutation that only
 *   changes how the same signature bytes are spelled may pass jose; we refuse non-canonical
 *   encodings. The property asserts that this is the only way jose can accept a mutated token.
 */

const NOW = Date.UTC(2026, 3, 1)
const S = NOW / 1000
const ISSUER = 'https://issuer.example'
const AUDIENCE = 'api'
const refresh = [{ kid: 'r1', secret: new Uint8Array(32).fill(5) }]

const inputs: Record<SigningAlgorithm, SigningKeyInput> = {
  HS256: { kid: 'hs-1', alg: 'HS256', secret: new Uint8Array(32).map((_, i) => i * 7) },
  ES256: { kid: 'ec-1', alg: 'ES256', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
  EdDSA: { kid: 'ed-1', alg: 'EdDSA', privateKey: generateKeyPairSync('ed25519').privateKey },
  RS256: { kid: 'rs-1', alg: 'RS256', privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
}
const otherKid: Record<SigningAlgorithm, SigningAlgorithm> = {
  HS256: 'ES256',
  ES256: 'EdDSA',
  EdDSA: 'RS256',
  RS256: 'HS256',
}

const reserved = new Set<string>(RESERVED_CLAIMS)
const appClaims = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !reserved.has(name) && name !== '__proto__'),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
)
const claimsArb = fc
  .record({
    sub: fc.string({ minLength: 1, maxLength: 40 }),
    sid: fc.string({ minLength: 1, maxLength: 30 }),
    jti: fc.string({ minLength: 1, maxLength: 30 }),
    aud: fc.constantFrom<string | string[]>(AUDIENCE, [AUDIENCE, 'other'], ['other', AUDIENCE]),
    iatAgo: fc.integer({ min: 0, max: 3600 }),
    ttl: fc.integer({ min: 1, max: 86_400 }),
    authAgo: fc.integer({ min: 0, max: 1_000_000 }),
    app: appClaims,
  })
  .map(({ app, iatAgo, ttl, authAgo, ...rest }) => {
    const claims = { ...app, ...rest, iss: ISSUER, iat: S - iatAgo, exp: S + ttl, auth_time: S - iatAgo - authAgo }
    // What comes back after a JSON round trip (e.g. -0 becomes 0).
    return JSON.parse(JSON.stringify(claims)) as AccessClaims
  })

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number }
  | { readonly kind: 'header'; readonly field: 'alg' | 'typ' | 'kid'; readonly value: string }
  | { readonly kind: 'truncate'; readonly at: number }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ kind: fc.constant('swap' as const), a: fc.nat(2), b: fc.nat(2) })
      .filter(({ a, b }) => a !== b),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('header' as const),
      field: fc.constantFrom('alg' as const, 'typ' as const, 'kid' as const),
      value: fc.oneof(
        fc.constantFrom(
          'none',
          'NONE',
          'HS256',
          'RS256',
          'ES256',
          'EdDSA',
          'Ed25519',
          'ES384',
          'JWT',
          'at+JWT2',
          'hs-1',
          'ec-1',
          '',
        ),
        fc.string({ maxLength: 8 }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
)

function mutate(token: string, m: Mutation): string {
  switch (m.kind) {
    case 'flip': {
      const i = m.at % token.length
      return token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << m.bit)) + token.slice(i + 1)
    }
    case 'swap': {
      const parts = token.split('.')
      const tmp = parts[m.a] as string
      parts[m.a] = parts[m.b] as string
      parts[m.b] = tmp
      return parts.join('.')
    }
    case 'header': {
      const [h, p, s] = token.split('.') as [string, string, string]
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, string>
      header[m.field] = m.value
      return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`
    }
    case 'truncate':
      return token.slice(0, m.at % token.length)
    default: {
      const _never: never = m
      return _never
    }
  }
}

/** True when `b` spells the same header, payload and signature bytes as `a` (jose's lenient decoding). */
function sameBytesAsJoseSeesThem(a: string, b: string): boolean {
  const [ha, pa, sa] = a.split('.')
  const [hb, pb, sb] = b.split('.')
  if (ha !== hb || pa !== pb || sa === undefined || sb === undefined) return false
  try {
    return Buffer.compare(Buffer.from(base64url.decode(sa)), Buffer.from(base64url.decode(sb))) === 0
  } catch {
    return false
  }
}

for (const alg of ['HS256', 'ES256', 'EdDSA', 'RS256'] as const) {
  describe(`differential against jose: ${alg}`, async () => {
    const input = inputs[alg]
    const keyRing = createKeyRing({ signing: [input, inputs[otherKid[alg]]], refresh })
    const ours = createAccessTokenCodec({
      keyRing,
      issuer: ISSUER,
      audience: AUDIENCE,
      leeway: 0,
      cache: false,
      implementation: 'node',
    })
    const oursPortable = createAccessTokenCodec({
      keyRing,
      issuer: ISSUER,
      audience: AUDIENCE,
      leeway: 0,
      cache: false,
      implementation: 'jose',
    })
    const key = keyRing.signingKeys[0]!
    const joseVerifyKey = key.secret ?? (await importJWK(key.publicJwk!, alg))
    const joseSignKey = key.secret ?? (await importJWK(key.privateJwk!, alg))
    const joseVerify = (token: string) =>
      jwtVerify(token, joseVerifyKey, {
        algorithms: [alg],
        typ: 'at+jwt',
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(NOW),
      })
    const runs = alg === 'RS256' ? 60 : 200

    test('every token we sign, jose accepts with the same claims and header', async () => {
      await fc.assert(
        fc.asyncProperty(claimsArb, async (claims) => {
          const token = await ours.sign(claims)
          const { payload, protectedHeader } = await joseVerify(token)
          expect(payload).toEqual(claims)
          expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: input.kid })
          expect(await ours.verify(token, NOW)).toEqual({ ok: true, claims })
          // The portable (jose-based) implementation writes byte-identical HS256/EdDSA tokens.
          const portable = await oursPortable.sign(claims)
          if (alg === 'HS256' || alg === 'EdDSA' || alg === 'RS256') expect(portable).toBe(token)
          expect(await ours.verify(portable, NOW)).toEqual({ ok: true, claims })
        }),
        { numRuns: runs },
      )
    })

    test('every token jose signs, we accept with the same claims', async () => {
      const headerStyles = fc.constantFrom(
        { alg, typ: 'at+jwt', kid: input.kid },
        { kid: input.kid, alg, typ: 'at+jwt' },
        { typ: 'application/at+jwt', alg, kid: input.kid },
        { alg, typ: 'AT+JWT', kid: input.kid, x5t: 'ignored' },
      )
      await fc.assert(
        fc.asyncProperty(claimsArb, headerStyles, async (claims, protectedHeader) => {
          const token = await new SignJWT(claims).setProtectedHeader(protectedHeader).sign(joseSignKey)
          await joseVerify(token)
          expect(await ours.verify(token, NOW)).toEqual({ ok: true, claims })
          expect(await oursPortable.verify(token, NOW)).toEqual({ ok: true, claims })
        }),
        { numRuns: runs },
      )
    })

    test('every mutated token, both refuse', async () => {
      await fc.assert(
        fc.asyncProperty(claimsArb, mutationArb, async (claims, mutation) => {
          const token = await ours.sign(claims)
          const mutated = mutate(token, mutation)
          fc.pre(mutated !== token)
          expect((await ours.verify(mutated, NOW)).ok).toBe(false)
          expect((await oursPortable.verify(mutated, NOW)).ok).toBe(false)
          const joseAccepted = await joseVerify(mutated).then(
            () => true,
            () => false,
          )
          if (joseAccepted) expect(sameBytesAsJoseSeesThem(token, mutated)).toBe(true)
        }),
        { numRuns: runs * 3 },
      )
    })
  })
}
