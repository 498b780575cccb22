// Issue 11 §4: operators see each 5xx cause once, not once per request, and nothing secret.
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { logOncePerCause } from './log.js'

describe('logOncePerCause', () => {
  it('writes the first error of a cause, counts the repeats, and reports them with the next one a minute later', () => {
    let now = 0
    const lines: string[] = []
    const log = logOncePerCause(
      (line) => lines.push(line),
      () => now,
    )
    const outage = () =>
      new AuthError('ERR_STORAGE_UNAVAILABLE', 'Redis get failed: connect ECONNREFUSED', {
        cause: new Error('connect ECONNREFUSED 127.0.0.1:6379'),
      })
    for (let i = 0; i < 500; i++) log(outage())
    expect(lines).toEqual([
      '[@auth] ERR_STORAGE_UNAVAILABLE: Redis get failed: connect ECONNREFUSED (cause: connect ECONNREFUSED 127.0.0.1:6379)',
    ])
    log(new Error('a bug'))
    expect(lines[1]).toBe('[@auth] Error: a bug')
    now = 61_000
    log(outage())
    expect(lines[2]).toMatch(/^\[@auth\] ERR_STORAGE_UNAVAILABLE: .* \[499 more like it in the last minute\]$/)
  })

  it('a logger that throws is ignored', () => {
    const log = logOncePerCause(() => {
      throw new Error('logger down')
    })
    expect(() => log(new Error('x'))).not.toThrow()
  })
})
