// Soak: rotating refresh on Fastify + Redis for 10 minutes (full runs only), with a closed-loop
// load generator on undici: 32 clients, each carrying its own family forward (every request
// presents the refresh token the previous answer gave), so the run needs 32 logins, not millions
// of pre-issued tokens. Reports the server's RSS and live heap (after a full GC) at the start and
// the end, the rate and p99 per minute, and every error.
//   BENCH_SOAK_SECONDS overrides the length (for trying it out).
import { Pool } from 'undici'
import { forkScript, nextMessage } from '../lib/child.js'
import { BENCH_USER_AGENT } from '../lib/http-config.js'
import { note, writeResult } from '../lib/results.js'
import { skipReason } from '../lib/stores.js'

export interface SoakMinute {
  readonly minute: number
  readonly requests: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
}

export interface SoakResult {
  readonly seconds: number
  readonly clients: number
  readonly generator: string
  readonly start: { readonly rss: number; readonly heapUsed: number }
  readonly end: { readonly rss: number; readonly heapUsed: number }
  readonly minutes: SoakMinute[]
  readonly requests: number
  readonly errors: number
  readonly skipped?: string
}

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600)
const CLIENTS = 32
const reason = skipReason('redis')
if (reason) {
  note(reason)
  writeResult('soak', { skipped: reason } as unknown as SoakResult)
  process.exit(0)
}

const server = forkScript('http/server.ts', ['--adapter', 'fastify', '--store', 'redis'], ['--expose-gc'])
const memory = async () => {
  server.send({ type: 'memory' })
  const { rss, heapUsed } = await nextMessage<{ type: 'memory'; rss: number; heapUsed: number }>(server, 'memory')
  return { rss, heapUsed }
}
try {
  const { url } = await nextMessage<{ type: 'ready'; url: string }>(server, 'ready', 60_000)
  const pool = new Pool(url, { connections: CLIENTS, pipelining: 1 })
  const headers = { 'user-agent': BENCH_USER_AGENT, 'content-type': 'application/json' }
  const loginHeaders = { 'user-agent': BENCH_USER_AGENT }
  const login = async (): Promise<string> => {
    const response = await pool.request({ path: '/login', method: 'POST', headers: loginHeaders })
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`soak: login answered ${response.statusCode}: ${text}`)
    return (JSON.parse(text) as { refresh_token: string }).refresh_token
  }
  const refresh = async (token: string): Promise<string | null> => {
    const response = await pool.request({
      path: '/auth/refresh',
      method: 'POST',
      headers,
      body: JSON.stringify({ refresh_token: token }),
    })
    const text = await response.body.text()
    if (response.statusCode !== 200) return null
    return (JSON.parse(text) as { refresh_token: string }).refresh_token
  }
  // One family per client, through the app's own login route.
  const tokens: string[] = []
  for (let i = 0; i < CLIENTS; i++) tokens.push(await login())
  // A minute of warm-up rotations before the first reading, so that the start is a warm server.
  const warm = Date.now() + Math.min(20_000, SECONDS * 100)
  await Promise.all(
    tokens.map(async (_, i) => {
      while (Date.now() < warm) tokens[i] = (await refresh(tokens[i] as string)) ?? (tokens[i] as string)
    }),
  )
  const start = await memory()
  note(`soak: ${SECONDS} s of rotating refresh, ${CLIENTS} clients; start rss ${(start.rss / 2 ** 20).toFixed(0)} MiB`)
  const began = Date.now()
  const end = began + SECONDS * 1000
  const latencies: number[][] = []
  const errors: number[] = []
  await Promise.all(
    tokens.map(async (_, i) => {
      while (Date.now() < end) {
        const t0 = performance.now()
        const minute = Math.floor((Date.now() - began) / 60_000)
        let next: string | null = null
        try {
          next = await refresh(tokens[i] as string)
        } catch {
          next = null
        }
        const list = latencies[minute] ?? []
        latencies[minute] = list
        list.push(performance.now() - t0)
        if (next === null) {
          errors[minute] = (errors[minute] ?? 0) + 1
          // A client that lost its family logs in again, as an app would.
          next = await login()
        }
        tokens[i] = next
      }
    }),
  )
  const finish = await memory()
  const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
  const minutes: SoakMinute[] = latencies.map((list, minute) => {
    const sorted = [...list].sort((a, b) => a - b)
    return {
      minute: minute + 1,
      requests: list.length,
      p50Ms: Number(pct(sorted, 0.5).toFixed(2)),
      p99Ms: Number(pct(sorted, 0.99).toFixed(2)),
      errors: errors[minute] ?? 0,
    }
  })
  const result: SoakResult = {
    seconds: SECONDS,
    clients: CLIENTS,
    generator: 'undici Pool, closed loop',
    start,
    end: finish,
    minutes,
    requests: minutes.reduce((n, m) => n + m.requests, 0),
    errors: minutes.reduce((n, m) => n + m.errors, 0),
  }
  for (const m of minutes) note(`  minute ${m.minute}: ${m.requests} rotations, p99 ${m.p99Ms} ms, errors ${m.errors}`)
  note(`soak: end rss ${(finish.rss / 2 ** 20).toFixed(0)} MiB, heap ${(finish.heapUsed / 2 ** 20).toFixed(1)} MiB`)
  writeResult('soak', result)
  await pool.close()
} finally {
  server.send({ type: 'stop' })
  await new Promise((resolve) => server.once('exit', resolve))
}
