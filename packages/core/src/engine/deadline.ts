import { AuthError, isAuthError } from '../errors/index.js'

/**
 * For driver authors: runs one storage call under a deadline, so an outage never hangs a
 * request. Past `timeoutMs` it rejects with `AuthError('ERR_STORAGE_UNAVAILABLE')`; any other
 * failure leaves as an AuthError too: AuthErrors pass through, anything else goes through
 * `toError` (default: `ERR_STORAGE_UNAVAILABLE` with the original as `cause`). The timer is
 * always cleared. `label` names the call in messages, e.g. `'Redis get'`.
 */
export function withStorageDeadline<T>(
  label: string,
  timeoutMs: number,
  run: () => Promise<T>,
  toError: (error: unknown) => AuthError = (error) => unavailable(label, error),
): Promise<T> {
  // One promise settled by whichever comes first, rather than `await Promise.race`: this runs
  // twice per rotation, and the race's extra promises and async frame cost about 0.4 µs a call.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new AuthError('ERR_STORAGE_UNAVAILABLE', `${label}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const fail = (error: unknown): void => {
      clearTimeout(timer)
      reject(isAuthError(error) ? error : toError(error))
    }
    let pending: Promise<T>
    try {
      pending = run()
    } catch (error) {
      fail(error)
      return
    }
    pending.then((value) => {
      clearTimeout(timer)
      resolve(value)
    }, fail)
  })
}

function unavailable(label: string, error: unknown): AuthError {
  const message = error instanceof Error ? error.message : String(error)
  return new AuthError('ERR_STORAGE_UNAVAILABLE', `${label} failed: ${message}`, { cause: error })
}
