import type { Clock } from '../runtime.js'

/** How often the offset to the store's clock is measured again (in real time, not the clock's). */
const RESYNC_MS = 60_000
/** After a failed measurement, the next try comes this much sooner. */
const RETRY_MS = 5_000

/** The engine's clock when it follows the store's: this node's clock plus a measured offset. */
export interface StoreAlignedClock extends Clock {
  /** Measures the offset now (the start-up check awaits it); keeps the last one if the store fails. */
  sync(): Promise<void>
  /** The last measured offset (store minus this node), in milliseconds. */
  offset(): number
}

/**
 * This node's clock, corrected to the store's: `local.now()` plus the offset measured by asking
 * the store for its time (`FamilyStore.now`), halfway through the round trip (so the estimate is
 * off by at most half of it). Measured in the background every minute, so no request waits for
 * it; a failed measurement keeps the last offset. With every node deciding in the store's time, a
 * node whose clock runs fast cannot push a rotation into the future, and one that lags cannot
 * accept replays past the grace window (review finding 10).
 */
export function storeAlignedClock(local: Clock, storeNow: () => Promise<number>): StoreAlignedClock {
  let offset = 0
  let measuredAt = Number.NEGATIVE_INFINITY
  let inFlight: Promise<void> | null = null
  const measure = async (): Promise<void> => {
    try {
      const before = local.now()
      const store = await storeNow()
      const after = local.now()
      if (Number.isSafeInteger(store) && Number.isFinite(before) && Number.isFinite(after)) {
        offset = Math.round(store - (before + after) / 2)
      }
      measuredAt = performance.now()
    } catch {
      // The store is down: decisions fail on their own calls; keep the last offset, retry sooner.
      measuredAt = performance.now() - RESYNC_MS + RETRY_MS
    } finally {
      inFlight = null
    }
  }
  const sync = (): Promise<void> => {
    inFlight ??= measure()
    return inFlight
  }
  return {
    now() {
      if (inFlight === null && performance.now() - measuredAt >= RESYNC_MS) void sync()
      return local.now() + offset
    },
    sync,
    offset: () => offset,
  }
}
