/**
 * The bottom layer: where time and randomness come from. Every other layer takes a {@link Clock}
 * and a {@link RandomReader} from here; tests inject their own (see `@auth/core/testing`).
 */

/** The source of time: epoch milliseconds. Tests inject a manual clock. */
export interface Clock {
  now(): number
}

/** The source of randomness (fills `bytes`). Defaults to `crypto.getRandomValues`. */
export interface RandomReader {
  read(bytes: Uint8Array): void
}

/** The system clock: `Date.now()`. The only copy; every layer that needs a default clock uses it. */
export const systemClock: Clock = { now: () => Date.now() }

// One getRandomValues call costs ~5 µs whatever its size: draw 4 KiB at a time and hand it out.
const pool = new Uint8Array(4096)
let poolOffset = pool.length

/** The default randomness: `crypto.getRandomValues`, drawn 4 KiB at a time (each handed-out byte is wiped from the pool). */
export const systemRandom: RandomReader = {
  read(bytes) {
    if (bytes.length > pool.length) {
      crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>)
      return
    }
    if (poolOffset + bytes.length > pool.length) {
      crypto.getRandomValues(pool)
      poolOffset = 0
    }
    bytes.set(pool.subarray(poolOffset, poolOffset + bytes.length))
    pool.fill(0, poolOffset, poolOffset + bytes.length)
    poolOffset += bytes.length
  },
}
