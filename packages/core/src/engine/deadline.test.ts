import { describe, expect, it } from 'vitest'
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
})
