import { describe, expect, it } from 'vitest'
import { resolvePolicy } from './policy.js'

describe('durations that are mistakes fail with the field and the fix', () => {
  it("a number that only makes sense as milliseconds is refused: numbers are seconds; write '15m'", () => {
    expect(() => resolvePolicy({ accessTtl: 900_000 })).toThrow(
      /policy\.accessTtl: 900000 is 10\.4 days as seconds, which looks like milliseconds; numbers are seconds: write '15m'/,
    )
    expect(() => resolvePolicy({ reuseGrace: 10_000 })).toThrow(/policy\.reuseGrace: .*write '10s'/)
    expect(() => resolvePolicy({ sessionMaxAge: 2_592_000_000 })).toThrow(/policy\.sessionMaxAge: .*write '30d'/)
  })

  it('sensible numbers of seconds are fine, however large', () => {
    expect(resolvePolicy({ sessionMaxAge: 2_592_000, refreshIdleTtl: 604_800, accessTtl: 900 })).toMatchObject({
      sessionMaxAge: 2_592_000_000,
      accessTtl: 900_000,
    })
  })

  it('`accessTtl: 3` alone names accessTtl (the field the user wrote), not the default reuseGrace', () => {
    expect(() => resolvePolicy({ accessTtl: 3 })).toThrow(
      /^policy\.accessTtl: 3 s is not longer than the grace window \(reuseGrace, default 10 s\)/,
    )
    expect(() => resolvePolicy({ accessTtl: 3, reuseGrace: 5 })).toThrow(/^policy\.reuseGrace/)
  })
})
