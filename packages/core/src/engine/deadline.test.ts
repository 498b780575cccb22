import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthError } from '../errors/index.js'
import { withStorageDeadline } from './deadline.js'

describe('withStorageDeadline', () => {
  it('passes a value through', async () => {
    await expect(withStorageDeadline('x get', 1000, async () => 42)).resolves.toBe(42)
  })
  it('turns a call that never answers into ERR_STORAGE_UNAVAILABLE at the deadline', async () => {
    const started = Date.now()
    const error = await withStorageDeadline('x get', 50, () => new Promise<never>(() => {})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('ERR_STORAGE_UNAVAILABLE')
    expect((error as AuthError).message).toBe('x get: no answer within 50 ms')
    expect(Date.now() - started).toBeGreaterThanOrEqual(45)
  })
  it('wraps other failures, keeping the cause, and lets AuthErrors through unchanged', async () => {
    const cause = new Error('ECONNREFUSED')
    const wrapped = await withStorageDeadline('x set', 1000, () => Promise.reject(cause)).catch((e: unknown) => e)
    expect(wrapped).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE', message: 'x set failed: ECONNREFUSED', cause })
    const corrupt = new AuthError('ERR_STORAGE_CORRUPT', 'bad row')
    await expect(withStorageDeadline('x', 1000, () => Promise.reject(corrupt))).rejects.toBe(corrupt)
    const mapped = await withStorageDeadline(
      'x',
      1000,
      () => Promise.reject(new Error('WRONGTYPE')),
      (e) => new AuthError('ERR_STORAGE_CORRUPT', String(e)),
    ).catch((e: unknown) => e)
    expect(mapped).toMatchObject({ code: 'ERR_STORAGE_CORRUPT' })
  })
  it('turns a synchronous throw from the call into the same typed failure', async () => {
    const wrapped = await withStorageDeadline('x del', 1000, () => {
      throw new Error('client is closed')
    }).catch((e: unknown) => e)
    expect(wrapped).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE', message: 'x del failed: client is closed' })
  })
  describe('its timer', () => {
    afterEach(() => {
      vi.useRealTimers()
    })
    it('is cleared when the call answers, succeeds or fails, and only a late answer is dropped', async () => {
      vi.useFakeTimers()
      await expect(withStorageDeadline('x get', 1000, async () => 1)).resolves.toBe(1)
      expect(vi.getTimerCount()).toBe(0)
      await expect(withStorageDeadline('x get', 1000, () => Promise.reject(new Error('down')))).rejects.toMatchObject({
        code: 'ERR_STORAGE_UNAVAILABLE',
      })
      expect(vi.getTimerCount()).toBe(0)
      let answer: (value: number) => void = () => {}
      const late = withStorageDeadline('x get', 1000, () => new Promise<number>((resolve) => (answer = resolve)))
      const outcome = late.catch((e: unknown) => e)
      expect(vi.getTimerCount()).toBe(1)
      await vi.advanceTimersByTimeAsync(1000)
      answer(7)
      expect(await outcome).toMatchObject({
        code: 'ERR_STORAGE_UNAVAILABLE',
        message: 'x get: no answer within 1000 ms',
      })
      expect(vi.getTimerCount()).toBe(0)
    })
  })
})
