import { describe, expect, it } from 'vitest'
import { systemRandom } from './runtime.js'

describe('the default randomness (pooled getRandomValues)', () => {
  it('never hands out the same bytes twice, across pool refills and for reads larger than the pool', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      // 1000 x 16 bytes spans several 4 KiB refills
      const bytes = new Uint8Array(16)
      systemRandom.read(bytes)
      const hex = Buffer.from(bytes).toString('hex')
      expect(seen.has(hex)).toBe(false)
      seen.add(hex)
    }
    const big = new Uint8Array(10_000)
    systemRandom.read(big)
    expect(big.some((b) => b !== 0)).toBe(true)
    // Roughly uniform: every byte value shows up in 10,000 draws.
    expect(new Set(big).size).toBe(256)
  })
})
