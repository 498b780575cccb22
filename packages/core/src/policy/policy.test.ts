import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { DEFAULT_POLICY, parseDuration, resolvePolicy } from './policy.js'

function refusal(fn: () => unknown): AuthError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AuthError)
    expect((e as AuthError).code).toBe('ERR_CONFIG_INVALID')
    return e as AuthError
  }
  throw new Error('expected a refusal')
}

describe('parseDuration', () => {
  it('reads numbers as seconds and strings with units', () => {
    expect(parseDuration(90, 'x')).toBe(90_000)
    expect(parseDuration('15m', 'x')).toBe(900_000)
    expect(parseDuration('30d', 'x')).toBe(30 * 86_400_000)
    expect(parseDuration('10s', 'x')).toBe(10_000)
    expect(parseDuration('45', 'x')).toBe(45_000)
    expect(parseDuration(0, 'x')).toBe(0)
  })
  it('refuses non-durations, naming the field', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1, '-5m', 'soon', '', ' ', '1 fortnight']) {
      expect(refusal(() => parseDuration(bad, 'accessTtl')).message).toContain('policy.accessTtl')
    }
  })
  it('never throws anything but ERR_CONFIG_INVALID, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        try {
          const out = parseDuration(v as number, 'f')
          expect(Number.isFinite(out) && out >= 0).toBe(true)
        } catch (e) {
          expect((e as AuthError).code).toBe('ERR_CONFIG_INVALID')
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('resolvePolicy', () => {
  it('has safe defaults that pass its own validation', () => {
    expect(resolvePolicy()).toEqual(DEFAULT_POLICY)
    expect(DEFAULT_POLICY.reuseGrace).toBeLessThan(DEFAULT_POLICY.accessTtl)
    expect(DEFAULT_POLICY.refreshIdleTtl).toBeLessThanOrEqual(DEFAULT_POLICY.sessionMaxAge)
    expect(Object.isFrozen(resolvePolicy())).toBe(true)
  })
  it('accepts a full custom policy', () => {
    const p = resolvePolicy({
      accessTtl: '5m',
      refreshIdleTtl: '1d',
      sessionMaxAge: '7d',
      reuseGrace: 2,
      leeway: 0,
      graceBinding: 'none',
    })
    expect(p).toEqual({
      accessTtl: 300_000,
      refreshIdleTtl: 86_400_000,
      sessionMaxAge: 604_800_000,
      reuseGrace: 2_000,
      leeway: 0,
      graceBinding: 'none',
      maxFamiliesPerSubject: 100,
      sessionCookies: false,
    })
  })
  it('maxFamiliesPerSubject: a whole number of at least 1, or Infinity for no cap', () => {
    expect(resolvePolicy({ maxFamiliesPerSubject: 10 }).maxFamiliesPerSubject).toBe(10)
    expect(resolvePolicy({ maxFamiliesPerSubject: Number.POSITIVE_INFINITY }).maxFamiliesPerSubject).toBe(
      Number.POSITIVE_INFINITY,
    )
    for (const bad of [0, -1, 1.5, Number.NaN, '10', null]) {
      expect(refusal(() => resolvePolicy({ maxFamiliesPerSubject: bad as number })).message).toMatch(
        /^policy\.maxFamiliesPerSubject: .*write Infinity to turn the cap off/,
      )
    }
    expect(refusal(() => resolvePolicy({ maxSessions: 5 } as never)).message).toContain('maxFamiliesPerSubject')
  })
  it('refuses invalid combinations, naming the field', () => {
    expect(refusal(() => resolvePolicy({ reuseGrace: '15m' })).message).toContain('policy.reuseGrace')
    expect(refusal(() => resolvePolicy({ accessTtl: '1m', reuseGrace: '2m' })).message).toContain('policy.reuseGrace')
    expect(refusal(() => resolvePolicy({ refreshIdleTtl: '60d' })).message).toContain('policy.refreshIdleTtl')
    expect(refusal(() => resolvePolicy({ accessTtl: -1 })).message).toContain('policy.accessTtl')
    expect(refusal(() => resolvePolicy({ accessTtl: 0 })).message).toContain('policy.accessTtl')
    expect(refusal(() => resolvePolicy({ leeway: Number.NaN })).message).toContain('policy.leeway')
    expect(refusal(() => resolvePolicy({ sessionMaxAge: '1h', refreshIdleTtl: '2h' })).message).toContain(
      'policy.refreshIdleTtl',
    )
    expect(refusal(() => resolvePolicy({ accessTtl: '40d' })).message).toContain('policy.')
    expect(refusal(() => resolvePolicy({ graceBinding: 'cookie' as unknown as 'none' })).message).toContain(
      'policy.graceBinding',
    )
    expect(refusal(() => resolvePolicy(null as unknown as {})).message).toContain('policy')
  })
  it('every accepted policy keeps the invariants', () => {
    const dur = fc.oneof(
      fc.integer({ min: 0, max: 90 * 86_400 }),
      fc.constantFrom('1s', '10s', '5m', '15m', '1h', '7d', '30d'),
    )
    fc.assert(
      fc.property(
        fc.record(
          { accessTtl: dur, refreshIdleTtl: dur, sessionMaxAge: dur, reuseGrace: dur, leeway: dur },
          { requiredKeys: [] },
        ),
        (input) => {
          let p: ReturnType<typeof resolvePolicy>
          try {
            p = resolvePolicy(input)
          } catch (e) {
            expect((e as AuthError).code).toBe('ERR_CONFIG_INVALID')
            return
          }
          expect(p.reuseGrace).toBeLessThan(p.accessTtl)
          expect(p.refreshIdleTtl).toBeLessThanOrEqual(p.sessionMaxAge)
          expect(p.accessTtl).toBeGreaterThanOrEqual(1000)
        },
      ),
      { numRuns: 1000 },
    )
  })
})
