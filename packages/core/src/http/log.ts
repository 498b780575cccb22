import { isAuthError } from '../errors/index.js'

/** How long repeats of one cause stay quiet after it was logged. */
const QUIET_MS = 60_000
/** Causes remembered at once (a flood of distinct messages must not grow memory without bound). */
const MAX_CAUSES = 1000

/**
 * An `onError` that logs each cause once a minute at most: the first error of a cause is written
 * at once, repeats within the minute are counted and reported with the next one after it. A cause
 * is the error's code and message (a Redis outage is one cause however many requests it fails).
 * Only the message and code are written (and the `cause`'s message): never a request, a token or
 * a header. `write` is the framework's logger (Fastify's `log.error`) or the console.
 */
export function logOncePerCause(
  write: (line: string, error: unknown) => void,
  now: () => number = () => performance.now(),
): (error: unknown) => void {
  const quiet = new Map<string, { until: number; suppressed: number }>()
  return (error) => {
    const code = isAuthError(error) ? error.code : error instanceof Error ? error.name : 'Error'
    const message = error instanceof Error ? error.message : String(error)
    const key = `${code}\u0000${message}`
    const t = now()
    const seen = quiet.get(key)
    if (seen !== undefined && t < seen.until) {
      seen.suppressed++
      return
    }
    if (quiet.size >= MAX_CAUSES) quiet.clear()
    quiet.set(key, { until: t + QUIET_MS, suppressed: 0 })
    const cause = error instanceof Error && error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''
    const repeats =
      seen !== undefined && seen.suppressed > 0 ? ` [${seen.suppressed} more like it in the last minute]` : ''
    try {
      write(`[@auth] ${code}: ${message}${cause}${repeats}`, error)
    } catch {
      // A failing logger must not turn a 503 into something worse.
    }
  }
}

/** The default `onError`: the console, once per cause. */
export const consoleOncePerCause = (): ((error: unknown) => void) => logOncePerCause((line) => console.error(line))
