// Profiling aid: one adapter's server under the HTTP section's load on one route (refresh: pre-issued
// single-use tokens, one rotation per request; login, protected or bare) on a store, printing
// the server's CPU per request; with BENCH_CPU_PROF=<dir> the server's CPU profile is written there.
//   pnpm build && BENCH_CPU_PROF=/tmp/prof node --import tsx bench/src/tools/profile-refresh-http.ts fastify redis [seconds] [refresh|login|protected|bare]
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { forkScript, nextMessage, runScript } from '../lib/child.js'
import { BENCH_USER_AGENT, type LoadResult, type LoadSpec } from '../lib/http-config.js'

const [adapter = 'fastify', store = 'redis', seconds = '5', route = 'refresh'] = process.argv.slice(2)
const server = forkScript('http/server.ts', ['--adapter', adapter, '--store', store])
const cpu = async () => {
  server.send({ type: 'cpu' })
  return (await nextMessage<{ type: 'cpu'; micros: number }>(server, 'cpu')).micros
}
try {
  const { url } = await nextMessage<{ type: 'ready'; url: string }>(server, 'ready', 60_000)
  const tokensFile = join(tmpdir(), `auth-bench-refresh-tokens-${process.pid}.txt`)
  const headers: Record<string, string> = { 'user-agent': BENCH_USER_AGENT }
  let spec: LoadSpec
  if (route === 'refresh') {
    server.send({ type: 'issue', n: 12000 * (Number(seconds) + 1), file: tokensFile })
    await nextMessage(server, 'issued')
    spec = {
      url,
      method: 'POST',
      path: '/auth/refresh',
      headers: { ...headers, 'content-type': 'application/json' },
      tokensFile,
      bodyFormat: 'json',
      connections: 32,
      warmupSec: 1,
      durationSec: Number(seconds),
    }
  } else {
    server.send({ type: 'access' })
    const { token } = await nextMessage<{ type: 'access'; token: string }>(server, 'access')
    spec = {
      url,
      method: route === 'login' ? 'POST' : 'GET',
      path: `/${route}`,
      headers: route === 'protected' ? { ...headers, authorization: `Bearer ${token}` } : headers,
      connections: 32,
      warmupSec: 1,
      durationSec: Number(seconds),
    }
  }
  const file = join(tmpdir(), `auth-bench-profile-refresh-${process.pid}.json`)
  writeFileSync(file, JSON.stringify(spec))
  try {
    const before = await cpu()
    const out = (await runScript('http/load.ts', [file])).trim()
    const after = await cpu()
    const result = JSON.parse(out.split('\n').at(-1) as string) as LoadResult
    console.log(
      `${adapter} / ${store} / ${route}: ${Math.round(result.reqPerSec)} req/s, p99 ${result.p99Ms} ms, errors ${result.errors}; server ${((after - before) / result.requests).toFixed(1)} µs/request (warm-up included in the CPU, not in the count)`,
    )
  } finally {
    rmSync(file, { force: true })
    rmSync(tokensFile, { force: true })
  }
} finally {
  server.send({ type: 'stop' })
  await new Promise((resolve) => server.once('exit', resolve))
}
