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

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a test server that must know its port
 * before it listens (an issuer URL that names it). node:net is loaded when called, so this module
 * stays importable on runtimes without it.
 */
export async function freePort(): Promise<number> {
  const { createServer } = (await import('node:net')) as typeof import('node:net')
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
