// Micro-measurement of access-token verification (not a test; never run by `vitest run`).
//   pnpm vitest bench --run packages/core/src/tokens
// Compares our verify (uncached and cached) with jose's jwtVerify and with the node:crypto floor:
// a minimal compact-JWS verify that checks only the signature and `exp`.
import { createHmac, createSecretKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto'
import { importJWK, jwtVerify } from 'jose'
import { test } from 'vitest'
import { createKeyRing } from '../../keys/index.js'
import type { SigningKeyInput } from '../../keys/types.js'
import type { AccessClaims } from '../types.js'
import { createAccessTokenCodec } from './codec.js'

const NOW = Date.now()
const S = Math.floor(NOW / 1000)
const claims: AccessClaims = {
  iss: 'https://auth.example.com',
  aud: 'https://api.example.com',
  sub: 'user_2f1c3a9b8e7d4c5b',
  iat: S,
  exp: S + 900,
  jti: 'Zk3p9Qm2Xv7Lr4Tn8Ws1Yb',
  sid: 'Hq5Jd8Kc2Vn6Mx9Pz3Rt7A',
  auth_time: S,
  roles: ['reader', 'writer'],
  org: 'org_8c1d2e3f',
}
const refresh = [{ kid: 'r1', secret: new Uint8Array(32).fill(1) }]
const secret = new Uint8Array(32).fill(42)
const secretKey = createSecretKey(secret)
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')

const ecOptions = { key: ec.publicKey, dsaEncoding: 'ieee-p1363' as const }
const setups: Record<
  'HS256' | 'ES256' | 'EdDSA',
  { input: SigningKeyInput; floor: (data: string, sig: Buffer) => boolean }
> = {
  HS256: {
    input: { kid: 'hs', alg: 'HS256', secret },
    floor: (data, sig) => createHmac('sha256', secretKey).update(data).digest().equals(sig),
  },
  ES256: {
    input: { kid: 'ec', alg: 'ES256', privateKey: ec.privateKey },
    floor: (data, sig) => nodeVerify('sha256', Buffer.from(data), ecOptions, sig),
  },
  EdDSA: {
    input: { kid: 'ed', alg: 'EdDSA', privateKey: ed.privateKey },
    floor: (data, sig) => nodeVerify(null, Buffer.from(data), ed.publicKey, sig),
  },
}

/** Median ops/s of interleaved rounds (robust on a shared, busy machine). */
async function interleaved(
  tasks: Record<string, () => unknown>,
  rounds = 9,
  ms = 150,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {}
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(tasks)) {
      let n = 0
      const start = performance.now()
      let elapsed = 0
      while (elapsed < ms) {
        for (let i = 0; i < 100; i++) await fn()
        n += 100
        elapsed = performance.now() - start
      }
      if (round === 0) continue // warm-up
      const list = samples[name] ?? []
      list.push((n / elapsed) * 1000)
      samples[name] = list
    }
  }
  const out: Record<string, number> = {}
  for (const [name, values] of Object.entries(samples)) {
    values.sort((a, b) => a - b)
    out[name] = Math.round(values[Math.floor(values.length / 2)] as number)
  }
  return out
}

for (const [alg, { input, floor }] of Object.entries(setups)) {
  const keyRing = createKeyRing({ signing: [input], refresh })
  const options = { keyRing, issuer: claims.iss, audience: claims.aud, leeway: 0 }
  const uncached = createAccessTokenCodec({ ...options, cache: false })
  const cached = createAccessTokenCodec(options)
  const token = await uncached.sign(claims)
  const key = keyRing.signingKeys[0]!
  const joseKey = key.secret ?? (await importJWK(key.publicJwk!, alg))
  const joseOptions = { algorithms: [alg], typ: 'at+jwt', issuer: claims.iss, audience: claims.aud as string }

  /** The floor: signature and exp, nothing else. */
  const floorVerify = (t: string): boolean => {
    const d1 = t.indexOf('.')
    const d2 = t.lastIndexOf('.')
    const ok = floor(t.slice(0, d2), Buffer.from(t.slice(d2 + 1), 'base64url'))
    const payload = JSON.parse(Buffer.from(t.slice(d1 + 1, d2), 'base64url').toString()) as { exp: number }
    return ok && payload.exp * 1000 > Date.now()
  }
  if (!floorVerify(token) || !(await uncached.verify(token, NOW)).ok || !(await cached.verify(token, NOW)).ok) {
    throw new Error(`${alg}: setup is broken`)
  }

  test(`${alg} verify, interleaved rounds`, async () => {
    const result = await interleaved({
      floor: async () => floorVerify(token),
      uncached: () => uncached.verify(token, Date.now()),
      cached: () => cached.verify(token, Date.now()),
      jose: () => jwtVerify(token, joseKey, joseOptions),
    })
    console.log(
      `${alg} (${token.length} B) median ops/s: ` +
        Object.entries(result)
          .map(([name, hz]) => `${name} ${hz.toLocaleString('en')}`)
          .join(', ') +
        ` | uncached/floor ${((result.uncached ?? 0) / (result.floor ?? 1)).toFixed(2)}`,
    )
  })

  test(`${alg} verify (${token.length}-byte token)`, async ({ bench }) => {
    await bench.compare(
      bench('node:crypto floor (sync)', () => {
        if (!floorVerify(token)) throw new Error('floor refused')
      }),
      bench('node:crypto floor (in an async function)', async () => {
        if (!floorVerify(token)) throw new Error('floor refused')
      }),
      bench('ours, uncached', async () => {
        if (!(await uncached.verify(token, Date.now())).ok) throw new Error('refused')
      }),
      bench('ours, cached', async () => {
        if (!(await cached.verify(token, Date.now())).ok) throw new Error('refused')
      }),
      bench('jose jwtVerify', async () => {
        await jwtVerify(token, joseKey, joseOptions)
      }),
      { time: 1500, warmupTime: 300 },
    )
  })
}
