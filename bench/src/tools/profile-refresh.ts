// Profiling aid: engine.refresh on one driver at concurrency 32 for a few seconds, in-process.
//   node --cpu-prof --cpu-prof-dir=<dir> --conditions=@auth/source --import tsx bench/src/tools/profile-refresh.ts redis [seconds]
import type { createEngine as CreateEngine } from '@auth/core'
import { AUDIENCE, ISSUER } from '../lib/fixtures.js'
import { SECRET } from '../lib/http-config.js'
import { closedLoop } from '../lib/load.js'
import { openStore, type StoreKind } from '../lib/stores.js'

// BENCH_CORE_ENTRY=/path/to/core/src/index.ts measures a patched engine against the same drivers.
const { createEngine } = (await import(process.env.BENCH_CORE_ENTRY || '@auth/core')) as {
  createEngine: typeof CreateEngine
}
const kind = (process.argv[2] ?? 'memory') as StoreKind
const seconds = Number(process.argv[3] ?? 5)
const bench = await openStore(kind, { poolSize: 32 })
try {
  const engine = createEngine({ store: bench.store, issuer: ISSUER, audience: AUDIENCE, secret: SECRET })
  const tokens: string[] = []
  for (let i = 0; i < 1024; i++) tokens.push((await engine.issue(`u${i}`)).refreshToken)
  const cursor = new Array<number>(32).fill(0)
  const r = await closedLoop({
    concurrency: 32,
    warmupMs: 500,
    durationMs: seconds * 1000,
    async op(w) {
      const turn = cursor[w] ?? 0
      cursor[w] = turn + 1
      const i = w + 32 * (turn % 32)
      const result = await engine.refresh(tokens[i] as string, { binding: 'bench' })
      if (!result.ok) return false
      tokens[i] = result.pair.refreshToken
      return true
    },
  })
  console.log(
    `${kind}: ${Math.round(r.opsPerSec)}/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}`,
  )
} finally {
  await bench.close()
}
