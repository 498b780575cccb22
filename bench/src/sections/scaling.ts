// Scaling: growth is part of the measurement.
//   --part rotations   rotation cost and stored bytes of one family after 1, 100 and 10,000 rotations, per driver
//   --part memory      memory driver footprint at 1M families (run with --expose-gc)
//   --part families    refresh latency at 1 and at 100k families, Redis and PostgreSQL
import { randomBytes } from 'node:crypto'
import { createEngine, type Engine, type FamilyRecord, resolvePolicy } from '@auth/core'
import { createFamilyRecord } from '@auth/core/machine'
import { createMemoryStore } from '@auth/storage-memory'
import { sql } from 'kysely'
import { AUDIENCE, ISSUER } from '../lib/fixtures.js'
import { SECRET } from '../lib/http-config.js'
import { percentile } from '../lib/load.js'
import { modeFromArgv, note, readResult, writeResult } from '../lib/results.js'
import { type BenchStore, openStore, STORE_KINDS, STORE_LABELS, type StoreKind, skipReason } from '../lib/stores.js'

export interface Latency {
  readonly n: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly meanMs: number
}

export interface RotationPoint {
  /** Rotations the family had gone through. */
  readonly rotations: number
  /** Bytes of the stored family (see BenchStore.storedBytes). */
  readonly storedBytes: number
  /** The next rotations' latency, sequential. */
  readonly latency: Latency
}

export interface ScalingResult {
  readonly mode: string
  rotations?: { store: StoreKind; label: string; bytesMeasure: string; points: RotationPoint[] }[]
  memory?: { families: number; heapBytes: number; rssBytes: number; bytesPerFamily: number; seconds: number }
  families?: {
    store: StoreKind
    label: string
    points: { families: number; latency: Latency; fillSeconds: number }[]
  }[]
  skipped?: string[]
}

const mode = modeFromArgv()
const quick = mode === 'quick'
const part = process.argv[process.argv.indexOf('--part') + 1]
const previous = readResult<ScalingResult>('scaling') ?? { mode }
const result: ScalingResult = { ...previous, mode }
const skipped = new Set(result.skipped ?? [])
const BYTES_MEASURE: Record<StoreKind, string> = {
  memory: 'JSON of the record',
  sqlite: 'sum of column bytes',
  postgres: 'pg_column_size of the row',
  mysql: 'sum of column bytes',
  redis: 'MEMORY USAGE of the key',
}

switch (part) {
  case 'rotations':
    result.rotations = await rotations()
    break
  case 'memory':
    result.memory = await memoryFootprint()
    break
  case 'families':
    result.families = await families()
    break
  default:
    throw new Error(`scaling: unknown --part ${part}`)
}
result.skipped = [...skipped]
writeResult('scaling', result)

function engineOn(bench: BenchStore): Engine {
  return createEngine({ store: bench.store, issuer: ISSUER, audience: AUDIENCE, secret: SECRET })
}

/** Rotates the family of `token` `n` times in sequence; returns the last token and each rotation's latency. */
async function rotate(engine: Engine, token: string, n: number): Promise<{ token: string; latencies: Float64Array }> {
  const latencies = new Float64Array(n)
  let current = token
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    const r = await engine.refresh(current, { binding: 'bench' })
    latencies[i] = performance.now() - start
    if (!r.ok || r.type !== 'rotated') throw new Error(`scaling: rotation ${i} failed: ${r.ok ? r.type : r.code}`)
    current = r.pair.refreshToken
  }
  return { token: current, latencies }
}

function summarize(latencies: Float64Array): Latency {
  const sorted = Float64Array.from(latencies).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    n: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sum / sorted.length,
  }
}

async function rotations(): Promise<NonNullable<ScalingResult['rotations']>> {
  const checkpoints = quick ? [1, 100, 1000] : [1, 100, 10_000]
  // Fewer than the gap between the first two checkpoints, so each point is taken where it says.
  const sample = quick ? 50 : 90
  const out: NonNullable<ScalingResult['rotations']> = []
  for (const kind of STORE_KINDS) {
    const reason = skipReason(kind)
    if (reason) {
      skipped.add(reason)
      continue
    }
    if (quick && kind !== 'memory' && kind !== 'redis') continue
    note(`scaling: ${checkpoints.at(-1)} rotations on ${STORE_LABELS[kind]}`)
    const bench = await openStore(kind, { poolSize: 4 })
    try {
      const engine = engineOn(bench)
      const pair = await engine.issue('rotating-user', { meta: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench' } })
      let token = pair.refreshToken
      let done = 0
      const points: RotationPoint[] = []
      for (const checkpoint of checkpoints) {
        token = (await rotate(engine, token, Math.max(0, checkpoint - done))).token
        done = Math.max(done, checkpoint)
        const storedBytes = await bench.storedBytes(pair.familyId)
        const measured = await rotate(engine, token, sample)
        token = measured.token
        done += sample
        points.push({ rotations: checkpoint, storedBytes, latency: summarize(measured.latencies) })
      }
      out.push({ store: kind, label: STORE_LABELS[kind], bytesMeasure: BYTES_MEASURE[kind], points })
    } finally {
      await bench.close()
    }
  }
  return out
}

async function memoryFootprint(): Promise<NonNullable<ScalingResult['memory']>> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('scaling --part memory needs node --expose-gc')
  const n = quick ? 100_000 : 1_000_000
  note(`scaling: memory driver footprint at ${n.toLocaleString('en-US')} families`)
  const policy = resolvePolicy()
  const now = Date.now()
  const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
  // Random material drawn up front (one call), so the loop measures the store, not randomBytes.
  const random = randomBytes(48 * n)
  gc()
  gc()
  const before = process.memoryUsage()
  const t0 = performance.now()
  const store = createMemoryStore()
  // Families as issue() makes them: a random 22-character id, a 43-character nonce, meta with a
  // browser user agent and an IP; one subject per family (the subject index at its largest).
  for (let i = 0; i < n; i++) {
    const record: FamilyRecord = createFamilyRecord({
      id: random.toString('base64url', 48 * i, 48 * i + 16),
      subject: `user-${i}`,
      now,
      nonce: random.toString('base64url', 48 * i + 16, 48 * i + 48),
      meta: { userAgent, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
      policy,
    })
    const created = await store.create(record)
    if (!created.ok) throw new Error('scaling: create failed')
  }
  const seconds = (performance.now() - t0) / 1000
  gc()
  gc()
  const after = process.memoryUsage()
  if (store.size() !== n) throw new Error('scaling: store size mismatch')
  // The random pool is external memory allocated before `before`; it is not counted either way.
  const heapBytes = after.heapUsed + after.external - (before.heapUsed + before.external)
  return { families: n, heapBytes, rssBytes: after.rss - before.rss, bytesPerFamily: heapBytes / n, seconds }
}

async function families(): Promise<NonNullable<ScalingResult['families']>> {
  const big = quick ? 10_000 : 100_000
  const sample = quick ? 300 : 1000
  const out: NonNullable<ScalingResult['families']> = []
  for (const kind of ['redis', 'postgres'] as const) {
    const reason = skipReason(kind)
    if (reason) {
      skipped.add(reason)
      continue
    }
    note(`scaling: refresh latency at 1 and ${big.toLocaleString('en-US')} families on ${STORE_LABELS[kind]}`)
    const bench = await openStore(kind, { poolSize: 16 })
    try {
      const engine = engineOn(bench)
      const points: { families: number; latency: Latency; fillSeconds: number }[] = []
      // 1 family.
      const first = await engine.issue('user-0', { meta: { userAgent: 'bench' } })
      await rotate(engine, first.refreshToken, 300) // warm-up
      const one = await rotateRoundRobin(engine, [(await engine.issue('user-1')).refreshToken], sample)
      points.push({ families: 2, latency: one, fillSeconds: 0 })
      // Fill to `big` families, then rotate fresh families among them.
      const t0 = performance.now()
      await fill(bench, big)
      const fillSeconds = (performance.now() - t0) / 1000
      const fresh = await Promise.all(Array.from({ length: 100 }, (_, i) => engine.issue(`fresh-${i}`)))
      const many = await rotateRoundRobin(
        engine,
        fresh.map((p) => p.refreshToken),
        sample,
      )
      points.push({ families: big + 102, latency: many, fillSeconds })
      out.push({ store: kind, label: STORE_LABELS[kind], points })
    } finally {
      await bench.close()
    }
  }
  return out
}

async function rotateRoundRobin(engine: Engine, tokens: string[], n: number): Promise<Latency> {
  const latencies = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const j = i % tokens.length
    const start = performance.now()
    const r = await engine.refresh(tokens[j] as string, { binding: 'bench' })
    latencies[i] = performance.now() - start
    if (!r.ok || r.type !== 'rotated') throw new Error(`scaling: refresh failed: ${r.ok ? r.type : r.code}`)
    tokens[j] = r.pair.refreshToken
  }
  return summarize(latencies)
}

/**
 * Adds `n` families to the store. Redis: real `create` calls, 256 in flight. PostgreSQL: one
 * INSERT … SELECT from generate_series of rows shaped like a real family (a real create per row
 * would take minutes here and measures nothing this benchmark is about).
 */
async function fill(bench: BenchStore, n: number): Promise<void> {
  const policy = resolvePolicy()
  const now = Date.now()
  if (bench.kind === 'postgres' && bench.sql) {
    const { db, table } = bench.sql
    const template = createFamilyRecord({
      id: 'x',
      subject: 'x',
      now,
      nonce: randomBytes(32).toString('base64url'),
      meta: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench' },
      policy,
    })
    await sql`
      INSERT INTO ${sql.table(table)} (id, subject, generation, status, revocation_reason, revoked_at, created_at,
        auth_time, last_used_at, rotated_at, rotated_binding, expires_at, idle_expires_at, version, nonce, meta)
      SELECT substr(md5(g::text || ${randomBytes(4).toString('hex')}), 1, 22), 'filler-' || g, 0, 'active', NULL, NULL,
        ${now}, ${now}, ${now}, NULL, NULL, ${template.expiresAt}, ${template.idleExpiresAt}, 1,
        ${template.nonce}, ${JSON.stringify(template.meta)}
      FROM generate_series(1, ${n}) AS g`.execute(db)
    await sql`ANALYZE ${sql.table(table)}`.execute(db)
    return
  }
  const inFlight = 256
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      const created = await bench.store.create(
        createFamilyRecord({
          id: randomBytes(16).toString('base64url'),
          subject: `filler-${i}`,
          now,
          nonce: randomBytes(32).toString('base64url'),
          meta: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench' },
          policy,
        }),
      )
      if (!created.ok) throw new Error('scaling: fill create failed')
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}
