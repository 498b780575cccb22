// Engine: engine.refresh (read, decide, compare-and-set, sign the new pair) on every driver,
// sequentially (latency) and at concurrency 32 (throughput), each family rotated in turn.
import { createEngine, type Engine } from '@auth/core'
import { AUDIENCE, ISSUER } from '../lib/fixtures.js'
import { closedLoop, type LoopResult } from '../lib/load.js'
import { modeFromArgv, note, writeResult } from '../lib/results.js'
import { openStore, STORE_KINDS, STORE_LABELS, type StoreKind, skipReason } from '../lib/stores.js'

export interface EngineRow {
  readonly store: StoreKind
  readonly label: string
  readonly runs: LoopResult[]
}

export interface EngineResult {
  readonly mode: string
  readonly families: number
  readonly warmupMs: number
  readonly durationMs: number
  readonly rows: EngineRow[]
  readonly skipped: string[]
}

const mode = modeFromArgv()
const quick = mode === 'quick'
const FAMILIES = quick ? 500 : 2000
const warmupMs = quick ? 300 : 1000
const durationMs = quick ? 1500 : 4000
const CONCURRENCY = [1, 32]
const SECRET = 'LPI9FnOBAzZPbnE76kaKVInYKHMVqrEX+fk3NqsHMK8='

const rows: EngineRow[] = []
const skipped: string[] = []
for (const kind of STORE_KINDS) {
  const reason = skipReason(kind)
  if (reason) {
    note(reason)
    skipped.push(reason)
    continue
  }
  if (quick && kind !== 'memory' && kind !== 'redis') continue
  note(`engine: refresh on ${STORE_LABELS[kind]}`)
  const bench = await openStore(kind, { poolSize: 32 })
  try {
    const engine = createEngine({ store: bench.store, issuer: ISSUER, audience: AUDIENCE, secret: SECRET })
    const tokens = await issueMany(engine, FAMILIES)
    const runs: LoopResult[] = []
    for (const concurrency of CONCURRENCY) {
      // Worker w owns families w, w + c, w + 2c...: no two workers ever present the same family.
      const cursor = new Array<number>(concurrency).fill(0)
      const perWorker = Math.floor(FAMILIES / concurrency)
      runs.push(
        await closedLoop({
          concurrency,
          warmupMs,
          durationMs,
          async op(w) {
            const turn = cursor[w] ?? 0
            cursor[w] = turn + 1
            const i = w + concurrency * (turn % perWorker)
            const result = await engine.refresh(tokens[i] as string, { binding: 'bench' })
            if (!result.ok || result.type !== 'rotated') return false
            tokens[i] = result.pair.refreshToken
            return true
          },
        }),
      )
    }
    rows.push({ store: kind, label: STORE_LABELS[kind], runs })
  } finally {
    await bench.close()
  }
}

writeResult('engine', { mode, families: FAMILIES, warmupMs, durationMs, rows, skipped } satisfies EngineResult)
for (const row of rows) {
  for (const r of row.runs) {
    console.log(
      `  ${row.label.padEnd(26)} c=${String(r.concurrency).padEnd(3)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(8)}/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  errors ${r.errors}`,
    )
  }
}

/** Issues `n` families, 64 at a time; returns their refresh tokens. */
export async function issueMany(engine: Engine, n: number): Promise<string[]> {
  const tokens: string[] = []
  for (let i = 0; i < n; i += 64) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(64, n - i) }, (_, j) =>
        engine.issue(`user-${i + j}`, { meta: { userAgent: 'bench' } }),
      ),
    )
    for (const pair of batch) tokens.push(pair.refreshToken)
  }
  return tokens
}
