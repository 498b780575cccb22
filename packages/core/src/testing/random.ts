import type { RandomReader } from '../runtime.js'

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
