import { AuthError, isAuthError } from '../errors/index.js'

/**
 * For driver authors: runs one storage call under a deadline, so an outage never hangs a
 * request. Past `timeoutMs` it rejects with `AuthError('ERR_STORAGE_UNAVAILABLE')`; any other
 * failure leaves as an AuthError too: AuthErrors pass through, anything else goes through
 * `toError` (default: `ERR_STORAGE_UNAVAILABLE` with the original as `cause`). The timer is
 * always cleared. `label` names the call in messages, e.g. `'Redis get'`.
 */
export async function withStorageDeadline<T>(
  label: string,
  timeoutMs: number,
  run: () => Promise<T>,
  toError: (error: unknown) => AuthError = (error) => unavailable(label, error),
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AuthError('ERR_STORAGE_UNAVAILABLE', `${label}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([run(), deadline])
  } catch (error) {
    throw isAuthError(error) ? error : toError(error)
  } finally {
    clearTimeout(timer)
  }
}

function unavailable(label: string, error: unknown): AuthError {
  const message = error instanceof Error ? error.message : String(error)
  return new AuthError('ERR_STORAGE_UNAVAILABLE', `${label} failed: ${message}`, { cause: error })
}
