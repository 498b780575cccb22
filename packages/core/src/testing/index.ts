import type { Clock, RandomReader } from '../engine/types.js'

/** A clock the test moves by hand. Time never goes backwards. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void
  /** Sets the time; refuses to go backwards. */
  set(ms: number): void
}

/** Creates a {@link ManualClock} starting at `start` (epoch milliseconds). */
export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let t = start
  return {
    now: () => t,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`clock cannot move by ${ms} ms`)
      t += ms
    },
    set(ms) {
      if (ms < t) throw new RangeError('clock cannot travel back in time')
      t = ms
    },
  }
}

/** Deterministic, NOT cryptographically secure randomness for tests (xorshift32). */
export function createSeededRandom(seed = 0x2545f491): RandomReader {
  let s = seed >>> 0 || 1
  return {
    read(bytes) {
      for (let i = 0; i < bytes.length; i++) {
        s ^= s << 13
        s >>>= 0
        s ^= s >>> 17
        s ^= s << 5
        s >>>= 0
        bytes[i] = s & 0xff
      }
    },
  }
}

/**
 * Reads a service URL (`DATABASE_URL`, `MYSQL_URL`, `REDIS_URL`) for a test suite. When it is
 * missing, prints why the suite is skipped and returns undefined; use with `describe.skipIf`:
 *
 * ```ts
 * const url = serviceUrl('REDIS_URL', 'Redis conformance')
 * describe.skipIf(!url)('redis', () => { … })
 * ```
 * CI sets AUTH_FAIL_ON_SKIP=1, which turns every skipped test into a failed run.
 */
export function serviceUrl(name: 'DATABASE_URL' | 'MYSQL_URL' | 'REDIS_URL', suite: string): string | undefined {
  const url = process.env[name]
  if (!url) {
    console.warn(`[skip] ${suite}: ${name} is not set, so this suite is skipped (CI sets it and fails on skips)`)
    return undefined
  }
  return url
}
