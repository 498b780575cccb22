import { measure } from 'mitata'

/** One measured operation: nanoseconds per operation (mitata batches fast ones) and ops/s. */
export interface Measured {
  readonly name: string
  readonly opsPerSec: number
  readonly avgNs: number
  readonly p50Ns: number
  readonly p99Ns: number
  readonly samples: number
}

export interface MeasureOptions {
  /** CPU time spent per candidate per round, in ms. */
  readonly cpuMs: number
  /** Rounds; candidates are interleaved round by round, and each keeps its best round. */
  readonly rounds: number
}

export interface Candidate {
  readonly name: string
  readonly fn: () => unknown
}

/**
 * Measures `candidates` side by side: round by round, each candidate once per round, so that
 * a burst of load from another process hits all of them alike. Each keeps its best round (the
 * least disturbed one: on a shared machine noise only ever slows a run down).
 */
export async function measureSideBySide(
  candidates: readonly Candidate[],
  options: MeasureOptions,
): Promise<Measured[]> {
  const best = new Map<string, Measured>()
  // Warm every candidate up first (JIT tiers, key imports, caches), so the first measured is not penalised.
  for (const candidate of candidates) await measure(candidate.fn, { min_cpu_time: 50e6, warmup_samples: 4 })
  for (let round = 0; round < options.rounds; round++) {
    for (const candidate of candidates) {
      // Start each measurement on a clean heap: the previous candidate's garbage (millions of
      // mitata samples, jose's allocations) otherwise lands as a major GC in the next one.
      ;(globalThis as { gc?: () => void }).gc?.()
      const stats = await measure(candidate.fn, {
        min_cpu_time: options.cpuMs * 1e6,
        warmup_samples: 4,
        max_samples: 1e9,
      })
      const m: Measured = {
        name: candidate.name,
        opsPerSec: 1e9 / stats.avg,
        avgNs: stats.avg,
        p50Ns: stats.p50,
        p99Ns: stats.p99,
        samples: stats.samples.length,
      }
      const previous = best.get(candidate.name)
      if (!previous || m.opsPerSec > previous.opsPerSec) best.set(candidate.name, m)
    }
  }
  return candidates.map((c) => best.get(c.name) as Measured)
}
