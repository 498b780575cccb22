// Profiling aid: one adapter's server under autocannon on one route (bare or protected), with the
// server's CPU profile written to BENCH_CPU_PROF (set it).
//   BENCH_CPU_PROF=/tmp/prof node --conditions=@auth/source --import tsx bench/src/tools/profile-route.ts hono protected [seconds]
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { forkScript, nextMessage, runScript } from '../lib/child.js'
import { BENCH_USER_AGENT, type LoadSpec } from '../lib/http-config.js'

const [adapter = 'hono', route = 'protected', seconds = '4'] = process.argv.slice(2)
const server = forkScript('http/server.ts', ['--adapter', adapter, '--store', 'memory'])
try {
  const { url } = await nextMessage<{ type: 'ready'; url: string }>(server, 'ready', 60_000)
  server.send({ type: 'access' })
  const { token } = await nextMessage<{ type: 'access'; token: string }>(server, 'access')
  const spec: LoadSpec = {
    url,
    method: 'GET',
    path: `/${route}`,
    headers: { 'user-agent': BENCH_USER_AGENT, authorization: `Bearer ${token}` },
    connections: 32,
    warmupSec: 1,
    durationSec: Number(seconds),
  }
  const file = join(tmpdir(), `auth-bench-profile-route-${process.pid}.json`)
  writeFileSync(file, JSON.stringify(spec))
  try {
    console.log((await runScript('http/load.ts', [file])).trim())
  } finally {
    rmSync(file, { force: true })
  }
} finally {
  server.send({ type: 'stop' })
  await new Promise((resolve) => server.once('exit', resolve))
}
