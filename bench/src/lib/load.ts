/** Latency summary of a closed-loop run, in milliseconds. */
export interface LoopResult {
  readonly concurrency: number
  readonly seconds: number
  readonly ops: number
  readonly errors: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly meanMs: number
}

export interface LoopOptions {
  readonly concurrency: number
  readonly warmupMs: number
  readonly durationMs: number
  /** One operation of worker `worker`; resolves true on success. A throw counts as an error. */
  readonly op: (worker: number) => Promise<boolean>
}

/**
 * A closed loop in this process: `concurrency` workers each run `op` back to back; a warm-up,
 * then a fixed measured duration. Each operation's latency is recorded.
 */
export async function closedLoop(options: LoopOptions): Promise<LoopResult> {
  const { concurrency, warmupMs, durationMs, op } = options
  let errors = 0
  let latencies = new Float64Array(1 << 16)
  let count = 0
  const record = (ms: number) => {
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2)
      bigger.set(latencies)
      latencies = bigger
    }
    latencies[count++] = ms
  }
  // Phases by the clock, not by timers: an operation that never leaves the microtask queue (the
  // memory store) would starve a setTimeout. Workers still yield to the event loop now and then.
  const begin = performance.now()
  const measureFrom = begin + warmupMs
  const measureTo = measureFrom + durationMs
  let first = Number.POSITIVE_INFINITY
  let last = 0
  const worker = async (w: number) => {
    for (let i = 1; ; i++) {
      const start = performance.now()
      if (start >= measureTo) return
      let ok = false
      try {
        ok = await op(w)
      } catch {
        ok = false
      }
      const end = performance.now()
      if (start >= measureFrom && end <= measureTo) {
        if (start < first) first = start
        if (end > last) last = end
        record(end - start)
        if (!ok) errors++
      }
      if (i % 32 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
  const seconds = Math.max(1e-9, (last - first) / 1000)
  const sorted = latencies.subarray(0, count).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    concurrency,
    seconds,
    ops: count,
    errors,
    opsPerSec: count / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: count ? sum / count : 0,
  }
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
