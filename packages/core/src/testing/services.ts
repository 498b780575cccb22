/**
 * Reads a service URL (`DATABASE_URL`, `MYSQL_URL`, `REDIS_URL`) for a test suite. When it is
 * missing, prints why the suite is skipped and returns undefined; use with `describe.skipIf`:
 *
 * ```ts
 * const url = serviceUrl('REDIS_URL', 'Redis conformance')
 * describe.skipIf(!url)('redis', () => { … })
 * ```
 * CI sets AUTH_FAIL_ON_SKIP=1, which turns every skipped test into a failed run.
 */
export function serviceUrl(name: 'DATABASE_URL' | 'MYSQL_URL' | 'REDIS_URL', suite: string): string | undefined {
  const url = process.env[name]
  if (!url) {
    console.warn(`[skip] ${suite}: ${name} is not set, so this suite is skipped (CI sets it and fails on skips)`)
    return undefined
  }
  return url
}
