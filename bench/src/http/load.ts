// The load generator, in its own process: autocannon, a warm-up run, then the measured run.
//   node … src/http/load.ts <spec.json>     prints one LoadResult as JSON on stdout
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import type { LoadResult, LoadSpec } from '../lib/http-config.js'

const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadSpec
const tokens = spec.tokensFile ? readFileSync(spec.tokensFile, 'utf8').split('\n').filter(Boolean) : []
let next = 0
let exhausted = false

function bodyFor(token: string): string {
  if (spec.bodyFormat === 'oauth-form') {
    return `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}&client_id=${encodeURIComponent(spec.clientId ?? '')}`
  }
  return spec.bodyFormat === 'form'
    ? `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`
    : JSON.stringify({ refresh_token: token })
}

function run(durationSec: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const request: autocannon.Request = { method: spec.method, path: spec.path, headers: spec.headers }
    if (spec.body !== undefined) request.body = spec.body
    if (spec.tokensFile) {
      // Each pre-issued refresh token is presented exactly once, as a client would.
      request.setupRequest = (req) => {
        const token = tokens[next]
        if (token === undefined) {
          // Pool spent: stop, and send this connection's last request somewhere harmless.
          if (!exhausted) {
            exhausted = true
            instance.stop()
          }
          return { ...req, method: 'GET', path: '/bare', body: undefined }
        }
        next++
        return { ...req, body: bodyFor(token) }
      }
    }
    const instance = autocannon(
      { url: spec.url, connections: spec.connections, duration: durationSec, requests: [request] },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}

if (spec.warmupSec > 0) await run(spec.warmupSec)
const before = next
const measuredExhausted = exhausted
if (measuredExhausted) throw new Error('load: the token pool ran out during the warm-up')
const cpuBefore = process.cpuUsage()
const r = await run(spec.durationSec)
const cpu = process.cpuUsage(cpuBefore)
const seconds = r.duration
const out: LoadResult = {
  reqPerSec: r.requests.total / seconds,
  requests: r.requests.total,
  seconds,
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  meanMs: r.latency.average,
  errors: r.non2xx + r.errors + r.timeouts,
  non2xx: r.non2xx,
  exhausted,
  tokensUsed: next - before,
  loadCpuMicros: cpu.user + cpu.system,
}
process.stdout.write(`${JSON.stringify(out)}\n`)
