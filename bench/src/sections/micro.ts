// Micro: access-token verify and sign next to jose, fast-jwt and the node:crypto floor; the
// refresh-token codec; decide. One process, candidates interleaved round by round.
import {
  createEngine,
  createKeyRing,
  createLocalRevocationFeed,
  createRevokedFamilies,
  resolvePolicy,
} from '@auth/core'
import { createFamilyRecord, decide } from '@auth/core/machine'
import { otel } from '@auth/core/otel'
import {
  createAccessTokenCodec,
  encodeRefreshToken,
  parseRefreshToken,
  verifyDpopProof,
  verifyRefreshToken,
} from '@auth/core/tokens'
import { createVerifier as createResourceVerifier } from '@auth/core/verifier'
import { createMemoryStore } from '@auth/storage-memory'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { createSigner, createVerifier } from 'fast-jwt'
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { do_not_optimize } from 'mitata'
import { ALGORITHMS, AUDIENCE, type BenchKey, benchKey, ISSUER, keyRingInput } from '../lib/fixtures.js'
import { floorSigner, floorVerifier } from '../lib/floor.js'
import { type Candidate, type Measured, measureSideBySide } from '../lib/measure.js'
import { modeFromArgv, note, writeResult } from '../lib/results.js'

export interface MicroGroup {
  readonly id: string
  readonly title: string
  readonly alg?: string
  readonly tokenBytes?: number
  readonly rows: Measured[]
}

export interface MicroResult {
  readonly mode: string
  readonly cpuMs: number
  readonly rounds: number
  readonly groups: MicroGroup[]
}

const mode = modeFromArgv()
const quick = mode === 'quick'
// Quick: verify only (the targets), one short round.
const options = quick ? { cpuMs: 100, rounds: 1 } : { cpuMs: 300, rounds: 3 }
const groups: MicroGroup[] = []

for (const alg of ALGORITHMS) {
  const key = benchKey(alg)
  const keys = keyRingInput(key)
  const uncached = createEngine({
    store: createMemoryStore(),
    issuer: ISSUER,
    audience: AUDIENCE,
    keys,
    accessTokenCache: false,
  })
  const cached = createEngine({ store: createMemoryStore(), issuer: ISSUER, audience: AUDIENCE, keys })
  const pair = await uncached.issue('user-42', { meta: { userAgent: 'bench' } })
  const token = pair.accessToken
  const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<
    string,
    unknown
  >

  // Everyone verifies the very same token, and must accept it.
  const floor = floorVerifier(key)
  const fastVerify = createVerifier({
    key: fastJwtPublicKey(key),
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    checkTyp: 'at+jwt',
    cache: false,
  })
  const fastVerifyCached = createVerifier({
    key: fastJwtPublicKey(key),
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    checkTyp: 'at+jwt',
    cache: true,
  })
  // A resource server's verifier over the auth server's JWKS (asymmetric keys only: HS256 has no JWKS).
  const resource =
    alg === 'HS256'
      ? undefined
      : {
          uncached: createResourceVerifier({
            issuer: ISSUER,
            audience: AUDIENCE,
            jwks: uncached.jwks(),
            accessTokenCache: false,
          }),
          cached: createResourceVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: uncached.jwks() }),
        }
  const joseKey = key.secret ? new Uint8Array(key.secret) : key.publicKey
  const joseVerifyOptions = { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: [alg] }
  await assertAccepts(alg, {
    floor: () => floor(token),
    'fast-jwt': () => fastVerify(token),
    jose: () => jwtVerify(token, joseKey as Uint8Array, joseVerifyOptions),
    ours: async () => ((await uncached.verifyAccess(token)).ok ? true : null),
    ...(resource === undefined
      ? {}
      : { 'ours: verifier': async () => ((await resource.uncached.verifyAccess(token)).ok ? true : null) }),
  })

  note(`micro: verify ${alg} (${token.length} bytes)`)
  const verify: Candidate[] = [
    { name: 'floor (node:crypto)', fn: () => do_not_optimize(floor(token)) },
    { name: 'ours: verifyAccess, uncached', fn: () => uncached.verifyAccess(token) },
    ...(resource === undefined
      ? []
      : [{ name: 'ours: resource-server verifier, uncached', fn: () => resource.uncached.verifyAccess(token) }]),
    { name: 'fast-jwt, uncached', fn: () => do_not_optimize(fastVerify(token)) },
    { name: 'jose jwtVerify', fn: () => jwtVerify(token, joseKey as Uint8Array, joseVerifyOptions) },
  ]
  // The cache hits are measured on their own, before the slow candidates: interleaved with
  // them (jose's Web Crypto work and the uncached verifies' garbage) a sub-microsecond candidate
  // measured 150k-1M/s in one run and 4M/s in a plain loop the next.
  const cachedRows = await measureSideBySide(
    [
      { name: 'ours: verifyAccess, cached', fn: () => cached.verifyAccess(token) },
      ...(resource === undefined
        ? []
        : [{ name: 'ours: resource-server verifier, cached', fn: () => resource.cached.verifyAccess(token) }]),
      { name: 'fast-jwt, cached', fn: () => do_not_optimize(fastVerifyCached(token)) },
    ],
    options,
  )
  const slowRows = await measureSideBySide(verify, options)
  groups.push({
    id: `verify-${alg}`,
    title: `verify ${alg}`,
    alg,
    tokenBytes: token.length,
    rows: [...slowRows, ...cachedRows],
  })

  if (quick) continue
  // Signing: the codec alone (what issue spends on the JWT), and the whole issue on the memory store.
  const codec = createAccessTokenCodec({ keyRing: createKeyRing(keys), issuer: ISSUER, audience: AUDIENCE, leeway: 0 })
  const floorSign = floorSigner(key)
  const fastSign = createSigner({
    key: fastJwtPrivateKey(key),
    algorithm: alg,
    kid: key.kid,
    header: { alg, typ: 'at+jwt' },
  })
  const joseSignKey = key.secret ? new Uint8Array(key.secret) : key.privateKey
  const joseSign = () =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'at+jwt', kid: key.kid }).sign(joseSignKey as Uint8Array)
  const signedBy = {
    floor: floorSign(claims),
    codec: await codec.sign(claims as never),
    'fast-jwt': fastSign(claims),
    jose: await joseSign(),
  }
  for (const [name, signed] of Object.entries(signedBy)) {
    const verified = await uncached.verifyAccess(signed)
    if (!verified.ok)
      throw new Error(`micro: ours refuses the ${alg} token ${name} signed: ${verified.code}: ${verified.message}`)
  }
  const issueEngine = createEngine({ store: createMemoryStore(), issuer: ISSUER, audience: AUDIENCE, keys })
  let n = 0
  note(`micro: sign ${alg}`)
  const sign: Candidate[] = [
    { name: 'floor (node:crypto)', fn: () => do_not_optimize(floorSign(claims)) },
    { name: 'ours: access-token codec sign', fn: () => codec.sign(claims as never) },
    { name: 'fast-jwt createSigner', fn: () => do_not_optimize(fastSign(claims)) },
    { name: 'jose SignJWT', fn: joseSign },
    { name: 'ours: engine.issue (memory store)', fn: () => issueEngine.issue(`user-${n++ % 100_000}`) },
  ]
  groups.push({ id: `sign-${alg}`, title: `sign ${alg}`, alg, rows: await measureSideBySide(sign, options) })
}

// The refresh-token codec and decide.
{
  const secret = new Uint8Array(32).fill(7)
  const nonce = 'n'.repeat(43)
  const fields = { kid: 'r1', familyId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 41 }
  const token = await encodeRefreshToken(fields, secret, nonce)
  const parsed = parseRefreshToken(token)
  if (!parsed.ok || !(await verifyRefreshToken(parsed.token, secret, nonce))) throw new Error('micro: refresh codec')
  const policy = resolvePolicy()
  const now = Date.now()
  const family = { ...createFamilyRecord({ id: fields.familyId, subject: 'u', now, nonce, policy }), generation: 41 }
  const event = { type: 'refresh' as const, generation: 41, now: now + 1000, binding: 'ua' }
  if (decide(family, event, policy).type !== 'rotated') throw new Error('micro: decide did not rotate')
  note('micro: refresh codec, decide')
  const rows = await measureSideBySide(
    [
      { name: 'refresh token: encode (HMAC-SHA-256)', fn: () => encodeRefreshToken(fields, secret, nonce) },
      {
        name: 'refresh token: parse + verify MAC',
        fn: async () => {
          const p = parseRefreshToken(token)
          return p.ok && (await verifyRefreshToken(p.token, secret, nonce))
        },
      },
      { name: 'decide (refresh -> rotated)', fn: () => do_not_optimize(decide(family, event, policy)) },
    ],
    options,
  )
  groups.push({ id: 'refresh-codec', title: 'refresh-token codec and decide', rows })
}

// DPoP (issue 15): the cost of a DPoP-checked guard and a DPoP-bound refresh next to the bearer
// ones, on the memory store, EdDSA access tokens, ES256 proofs (the proof check is jose's).
{
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  const engine = createEngine({
    store: createMemoryStore(),
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: 'LPI9FnOBAzZPbnE76kaKVInYKHMVqrEX+fk3NqsHMK8=',
    dpop: 'allowed',
    policy: { graceBinding: 'none' },
  })
  const sign = async (htm: string, htu: string, ath?: string) =>
    new SignJWT({ jti: crypto.randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...(ath ? { ath } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey)
  const refreshUrl = `${ISSUER}/auth/refresh`
  const first = await verifyDpopProof(
    await sign('POST', refreshUrl),
    { method: 'POST', url: refreshUrl },
    { now: Date.now() },
  )
  if (!first.ok) throw new Error(`micro: dpop proof refused: ${first.message}`)
  const jkt = first.jkt
  const bearer = await engine.issue('bearer-user')
  const bound = await engine.issue('dpop-user', { dpop: { jkt } })
  const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bound.accessToken))).toString(
    'base64url',
  )
  const meUrl = `${ISSUER}/me`
  const guardProof = await sign('GET', meUrl, ath)
  const refreshProof = await sign('POST', refreshUrl)
  let bearerToken = bearer.refreshToken
  let boundToken = bound.refreshToken
  note('micro: dpop')
  const rows = await measureSideBySide(
    [
      { name: 'guard, bearer: verifyAccess (cached)', fn: () => engine.verifyAccess(bearer.accessToken) },
      {
        name: 'guard, DPoP: proof check + verifyAccess (cached)',
        fn: async () => {
          const proof = await verifyDpopProof(
            guardProof,
            { method: 'GET', url: meUrl, accessToken: bound.accessToken },
            { now: Date.now() },
          )
          return proof.ok && (await engine.verifyAccess(bound.accessToken, { dpopJkt: proof.jkt })).ok
        },
      },
      {
        name: 'refresh, bearer: engine.refresh (memory)',
        fn: async () => {
          const r = await engine.refresh(bearerToken)
          if (r.ok) bearerToken = r.pair.refreshToken
          return r.ok
        },
      },
      {
        name: 'refresh, DPoP-bound: proof check + engine.refresh (memory)',
        fn: async () => {
          const proof = await verifyDpopProof(refreshProof, { method: 'POST', url: refreshUrl }, { now: Date.now() })
          if (!proof.ok) return false
          const r = await engine.refresh(boundToken, { dpop: { jkt: proof.jkt } })
          if (r.ok) boundToken = r.pair.refreshToken
          return r.ok
        },
      },
    ],
    options,
  )
  groups.push({ id: 'dpop', title: 'DPoP: guard and refresh, next to bearer', rows })
}

// The guard's hot path with the revocation feed on (a Map lookup per verification), and the
// verified-token cache with 1, 100 and 10,000 distinct live tokens (round robin: every one a hit
// after the first pass; the cache holds 10,000 by default).
{
  const base = {
    store: createMemoryStore(),
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: 'LPI9FnOBAzZPbnE76kaKVInYKHMVqrEX+fk3NqsHMK8=',
    policy: { graceBinding: 'none' as const },
  }
  const plain = createEngine(base)
  // A staleness bound far above the run: mitata's loop of cached verifications never yields to
  // timers, so the local feed's heartbeat would not be heard and the guard would fail closed.
  const revocations = createRevokedFamilies({ feed: createLocalRevocationFeed(), staleness: '1d' })
  await revocations.ready()
  const withFeed = createEngine({ ...base, store: createMemoryStore(), revocations })
  // A feed that knows some revoked families, as a live one does.
  for (let i = 0; i < 1000; i++) await revocations.add(`revoked-${i}`, Date.now() + 600_000)
  const one = (await plain.issue('feed-user')).accessToken
  const oneFeed = (await withFeed.issue('feed-user')).accessToken
  const many = async (n: number) => {
    const list: string[] = []
    for (let i = 0; i < n; i++) list.push((await plain.issue(`cache-${n}-${i}`)).accessToken)
    for (const token of list) await plain.verifyAccess(token)
    let next = 0
    return () => plain.verifyAccess(list[next++ % n] as string)
  }
  const [c1, c100, c10k] = [await many(1), await many(100), await many(10_000)]
  note('micro: feed and cache')
  const rows = await measureSideBySide(
    [
      { name: 'verifyAccess (cached), no feed', fn: () => plain.verifyAccess(one) },
      { name: 'verifyAccess (cached), revocation feed on', fn: () => withFeed.verifyAccess(oneFeed) },
      { name: 'cache: 1 distinct live token', fn: c1 },
      { name: 'cache: 100 distinct live tokens', fn: c100 },
      { name: 'cache: 10,000 distinct live tokens', fn: c10k },
    ],
    options,
  )
  await revocations.close()
  groups.push({ id: 'feed-cache', title: 'The revocation feed and the verified-token cache on the guard', rows })
}

// OpenTelemetry (issue 16): the guard's hot path (a cached verifyAccess) and a refresh with no
// telemetry, with otel() on the API alone (its no-op: no SDK registered), and with the metrics
// SDK recording (a MeterProvider with a reader that is never read, no tracer SDK).
{
  const make = (telemetry?: ReturnType<typeof otel>) =>
    createEngine({
      store: createMemoryStore(),
      issuer: ISSUER,
      audience: AUDIENCE,
      secret: 'LPI9FnOBAzZPbnE76kaKVInYKHMVqrEX+fk3NqsHMK8=',
      policy: { graceBinding: 'none' },
      ...(telemetry === undefined ? {} : { telemetry }),
    })
  class IdleReader extends MetricReader {
    protected async onShutdown() {}
    protected async onForceFlush() {}
  }
  const engines = {
    none: make(),
    noop: make(otel()),
    sdk: make(otel({ meterProvider: new MeterProvider({ readers: [new IdleReader()] }) })),
  }
  const logins = {
    none: await engines.none.issue('otel-user'),
    noop: await engines.noop.issue('otel-user'),
    sdk: await engines.sdk.issue('otel-user'),
  }
  const tokens = { none: logins.none.refreshToken, noop: logins.noop.refreshToken, sdk: logins.sdk.refreshToken }
  const refreshOf = (which: keyof typeof engines) => async () => {
    const r = await engines[which].refresh(tokens[which])
    if (r.ok) tokens[which] = r.pair.refreshToken
    return r.ok
  }
  note('micro: otel')
  const rows = await measureSideBySide(
    [
      {
        name: 'guard: verifyAccess (cached), no telemetry',
        fn: () => engines.none.verifyAccess(logins.none.accessToken),
      },
      {
        name: 'guard: verifyAccess (cached), otel() no SDK',
        fn: () => engines.noop.verifyAccess(logins.noop.accessToken),
      },
      {
        name: 'guard: verifyAccess (cached), otel() metrics SDK',
        fn: () => engines.sdk.verifyAccess(logins.sdk.accessToken),
      },
      { name: 'refresh (memory), no telemetry', fn: refreshOf('none') },
      { name: 'refresh (memory), otel() no SDK', fn: refreshOf('noop') },
      { name: 'refresh (memory), otel() metrics SDK', fn: refreshOf('sdk') },
    ],
    options,
  )
  groups.push({ id: 'otel', title: 'OpenTelemetry: the guard and a refresh, without and with otel()', rows })
}

const result: MicroResult = { mode, ...options, groups }
writeResult('micro', result)
for (const g of groups) {
  console.log(`\n${g.title}${g.tokenBytes ? ` (${g.tokenBytes}-byte token)` : ''}`)
  for (const r of g.rows) {
    console.log(
      `  ${r.name.padEnd(40)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)}/s  p50 ${(r.p50Ns / 1000).toFixed(2)} µs  p99 ${(r.p99Ns / 1000).toFixed(2)} µs`,
    )
  }
}

async function assertAccepts(alg: string, checks: Record<string, () => unknown>): Promise<void> {
  for (const [name, check] of Object.entries(checks)) {
    let ok: unknown
    try {
      ok = await check()
    } catch (error) {
      throw new Error(`micro: ${name} refused the ${alg} token: ${String(error)}`)
    }
    if (!ok) throw new Error(`micro: ${name} refused the ${alg} token`)
  }
}

function fastJwtPublicKey(key: BenchKey): string | Buffer {
  return key.secret ?? (key.publicPem as string)
}

function fastJwtPrivateKey(key: BenchKey): string | Buffer {
  return key.secret ?? (key.privatePem as string)
}
