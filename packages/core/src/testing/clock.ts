import type { Clock } from '../runtime.js'

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
