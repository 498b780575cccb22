// HTTP: each adapter in its own server process, autocannon in another, concurrency 32, a
// warm-up then a fixed duration. Bare route vs protected route in the same run; the login
// helper; the refresh route with pre-issued refresh tokens, each presented once.

import type { ChildProcess } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { forkScript, nextMessage, runScript } from '../lib/child.js'
import {
  ADAPTERS,
  type AdapterName,
  BENCH_USER_AGENT,
  type CpuPerRequest,
  type LoadResult,
  type LoadSpec,
} from '../lib/http-config.js'
import { modeFromArgv, note, writeResult } from '../lib/results.js'
import { STORE_LABELS, type StoreKind, skipReason } from '../lib/stores.js'

export type Scenario = 'bare' | 'noop' | 'protected' | 'login' | 'refresh'

export interface HttpRow {
  readonly adapter: AdapterName
  readonly store: StoreKind
  readonly scenario: Scenario
  readonly result: LoadResult
  readonly cpu: CpuPerRequest
  /** The rounds behind this median one: req/s and server µs per request, lowest to highest. */
  readonly spread?: { readonly reqPerSec: readonly number[]; readonly serverMicros: readonly number[] }
}

/** The peer, node-oidc-provider, on the same Redis with the same load generator in the same run. */
export interface PeerRow {
  readonly peer: string
  readonly result: LoadResult
  readonly cpu: CpuPerRequest
}

export interface HttpResult {
  readonly peers?: PeerRow[]
  readonly mode: string
  readonly connections: number
  readonly warmupSec: number
  readonly durationSec: number
  readonly rows: HttpRow[]
  readonly skipped: string[]
}

const mode = modeFromArgv()
const quick = mode === 'quick'
const CONNECTIONS = 32
const warmupSec = 1
const durationSec = quick ? 2 : 4
const adapters: readonly AdapterName[] = quick ? ['fastify'] : ADAPTERS
const stores: StoreKind[] = []
const skipped: string[] = []
for (const kind of ['memory', 'redis'] as const) {
  const reason = skipReason(kind)
  if (reason) {
    note(reason)
    skipped.push(reason)
  } else if (!(quick && kind === 'memory')) stores.push(kind)
}

const rows: HttpRow[] = []
const peers: PeerRow[] = []
const ROUNDS = quick ? 1 : 3
/** Every round of every cell, by `adapter/store/scenario`. */
const rounds = new Map<string, HttpRow[]>()
const redis = stores.includes('redis')
  ? new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: 1 })
  : undefined
/** Redis server CPU (user + system) in µs, from INFO cpu. */
async function redisCpu(): Promise<number> {
  if (!redis) return 0
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0)
  return Math.round((field('used_cpu_sys') + field('used_cpu_user')) * 1e6)
}
const specFile = join(tmpdir(), `auth-bench-load-${process.pid}.json`)

/**
 * One load run against `server` (autocannon in its own process), with the CPU per request of the
 * server, the load generator and (`withRedis`) Redis. CPU is read around the whole child run
 * (warm-up included) and scaled to the measured part.
 */
async function measure(
  server: ChildProcess,
  spec: LoadSpec,
  withRedis: boolean,
): Promise<{ result: LoadResult; cpu: CpuPerRequest }> {
  const serverCpu = async () => {
    server.send({ type: 'cpu' })
    return (await nextMessage<{ type: 'cpu'; micros: number }>(server, 'cpu')).micros
  }
  writeFileSync(specFile, JSON.stringify(spec))
  const [serverBefore, redisBefore] = [await serverCpu(), await redisCpu()]
  const out = await runScript('http/load.ts', [specFile])
  const [serverAfter, redisAfter] = [await serverCpu(), await redisCpu()]
  const result = JSON.parse(out.trim().split('\n').pop() as string) as LoadResult
  const share = result.seconds / (result.seconds + spec.warmupSec)
  const perRequest = (micros: number) => Math.round((micros * share) / Math.max(1, result.requests))
  const cpu: CpuPerRequest = {
    server: perRequest(serverAfter - serverBefore),
    loadGenerator: Math.round(result.loadCpuMicros / Math.max(1, result.requests)),
    ...(withRedis ? { redis: perRequest(redisAfter - redisBefore) } : {}),
  }
  return { result, cpu }
}

const tokensFile = join(tmpdir(), `auth-bench-tokens-${process.pid}.txt`)
const baseHeaders = { 'user-agent': BENCH_USER_AGENT }

try {
  for (const store of stores) {
    for (const adapter of adapters) {
      note(`http: ${adapter} on ${STORE_LABELS[store]}`)
      const server = forkScript('http/server.ts', ['--adapter', adapter, '--store', store])
      try {
        const { url } = await nextMessage<{ type: 'ready'; url: string }>(server, 'ready', 60_000)
        server.send({ type: 'access' })
        const { token } = await nextMessage<{ type: 'access'; token: string }>(server, 'access')
        const load = async (
          scenario: Scenario,
          spec: Omit<LoadSpec, 'url' | 'connections' | 'warmupSec' | 'durationSec'>,
        ) => {
          const { result, cpu } = await measure(
            server,
            { url, connections: CONNECTIONS, warmupSec, durationSec, ...spec },
            store === 'redis',
          )
          note(
            `  ${scenario.padEnd(9)} ${Math.round(result.reqPerSec).toLocaleString('en-US').padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  errors ${result.errors}${result.exhausted ? ' (token pool ran out)' : ''}  cpu/req µs: server ${cpu.server}, autocannon ${cpu.loadGenerator}${cpu.redis === undefined ? '' : `, redis ${cpu.redis}`}`,
          )
          const key = `${adapter}/${store}/${scenario}`
          const list = rounds.get(key) ?? []
          list.push({ adapter, store, scenario, result, cpu })
          rounds.set(key, list)
          return result
        }
        // Three interleaved rounds in a full run (one in a quick one); the table keeps each cell's
        // median round and the spread of the three.
        for (let round = 0; round < ROUNDS; round++) {
          await load('bare', { method: 'GET', path: '/bare', headers: baseHeaders })
          await load('noop', { method: 'GET', path: '/noop', headers: baseHeaders })
          await load('protected', {
            method: 'GET',
            path: '/protected',
            headers: { ...baseHeaders, authorization: `Bearer ${token}` },
          })
          const login = await load('login', { method: 'POST', path: '/login', headers: baseHeaders })
          // Enough single-use tokens for the warm-up and the run: refresh does at least the work of a login.
          const pool = Math.min(120_000, Math.max(4000, Math.ceil(login.reqPerSec * (warmupSec + durationSec) * 1.6)))
          server.send({ type: 'issue', n: pool, file: tokensFile })
          await nextMessage(server, 'issued')
          await load('refresh', {
            method: 'POST',
            path: '/auth/refresh',
            headers: { ...baseHeaders, 'content-type': 'application/json' },
            tokensFile,
            bodyFormat: 'json',
          })
        }
      } finally {
        server.send({ type: 'stop' })
        await new Promise((resolve) => server.once('exit', resolve))
      }
    }
  }
  // The peer (a full run with Redis): node-oidc-provider's rotating refresh, measured the same way.
  if (!quick && redis !== undefined) {
    for (const format of ['opaque', 'jwt'] as const) {
      const peer = `node-oidc-provider 9, ${format === 'jwt' ? 'JWT access tokens (EdDSA)' : 'opaque access tokens'}`
      note(`http: ${peer}`)
      const server = forkScript('peers/oidc-provider.ts', ['--format', format])
      try {
        const { url } = await nextMessage<{ type: 'ready'; url: string }>(server, 'ready', 60_000)
        server.send({ type: 'issue', n: 24_000, file: tokensFile })
        await nextMessage(server, 'issued', 600_000)
        const full: LoadSpec = {
          url,
          connections: CONNECTIONS,
          warmupSec,
          durationSec,
          method: 'POST',
          path: '/token',
          headers: { ...baseHeaders, 'content-type': 'application/x-www-form-urlencoded' },
          tokensFile,
          bodyFormat: 'oauth-form',
          clientId: 'bench',
        }
        const { result, cpu } = await measure(server, full, true)
        note(
          `  refresh   ${Math.round(result.reqPerSec).toLocaleString('en-US').padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  errors ${result.errors}  cpu/req µs: server ${cpu.server}`,
        )
        peers.push({ peer, result, cpu })
      } finally {
        server.send({ type: 'stop' })
        await new Promise((resolve) => server.once('exit', resolve))
      }
    }
  }
} finally {
  await redis?.quit()
  rmSync(specFile, { force: true })
  rmSync(tokensFile, { force: true })
}

for (const list of rounds.values()) {
  const sorted = [...list].sort((a, b) => a.result.reqPerSec - b.result.reqPerSec)
  const median = sorted[Math.floor(sorted.length / 2)] as HttpRow
  rows.push({
    ...median,
    spread: {
      reqPerSec: sorted.map((r) => Math.round(r.result.reqPerSec)),
      serverMicros: list.map((r) => r.cpu.server).sort((a, b) => a - b),
    },
  })
}

writeResult('http', {
  mode,
  connections: CONNECTIONS,
  warmupSec,
  durationSec,
  rows,
  skipped,
  peers,
} satisfies HttpResult)
