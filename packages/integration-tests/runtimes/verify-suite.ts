// A runtime-neutral verification suite: no vitest, no node:* import. Bun runs it as it is; for
// workerd it is bundled into a Worker. Given test vectors (tokens the auth server signed, its JWKS,
// the expected codes), it verifies each with @auth/core/verifier and through the Hono guard, and
// reports what passed; the Node test that launches it asserts the report.
import { createVerifier } from '@auth/core/verifier'
import { auth } from '@auth/hono'
import { Hono } from 'hono'

/** What the Node test hands the runtime. */
export interface Vectors {
  readonly issuer: string
  readonly audience: string
  readonly now: number
  readonly jwks: { keys: Record<string, unknown>[] }
  /** Each token and the code `verifyAccess` must answer (`'ok'` for a success). */
  readonly cases: readonly { readonly name: string; readonly token: string; readonly expect: string }[]
}

/** What the runtime reports. */
export interface Report {
  readonly runtime: string
  readonly webCrypto: boolean
  readonly passed: string[]
  readonly failed: string[]
}

export async function runSuite(vectors: Vectors, runtime: string): Promise<Report> {
  const passed: string[] = []
  const failed: string[] = []
  const check = (name: string, ok: boolean, detail = '') =>
    (ok ? passed : failed).push(ok ? name : `${name}: ${detail}`)
  const clock = { now: () => vectors.now }
  const verifier = createVerifier({
    issuer: vectors.issuer,
    audience: vectors.audience,
    jwks: vectors.jwks as never,
    clock,
  })
  for (const c of vectors.cases) {
    try {
      const result = await verifier.verifyAccess(c.token)
      const got = result.ok ? 'ok' : result.code
      check(`verifyAccess: ${c.name}`, got === c.expect, `expected ${c.expect}, got ${got}`)
    } catch (error) {
      check(`verifyAccess: ${c.name}`, false, `threw ${String(error)}`)
    }
  }
  // The Hono guard over the same verifier: the claims reach the handler, a bad token is a 401.
  const { requireAuth } = auth({ verifier })
  const app = new Hono()
  app.get('/me', requireAuth(), (c) => c.json({ sub: c.get('auth').sub }))
  app.get('/maybe', requireAuth({ optional: true }), (c) => c.json({ sub: c.get('auth')?.sub ?? null }))
  const good = vectors.cases.find((c) => c.expect === 'ok')
  const bad = vectors.cases.find((c) => c.expect !== 'ok')
  if (good !== undefined) {
    const response = await app.request('/me', { headers: { authorization: `Bearer ${good.token}` } })
    const body = (await response.json()) as { sub?: string }
    check(
      'hono guard: a good token reaches the handler',
      response.status === 200 && typeof body.sub === 'string',
      `${response.status}`,
    )
  }
  if (bad !== undefined) {
    const response = await app.request('/me', { headers: { authorization: `Bearer ${bad.token}` } })
    check(
      'hono guard: a bad token is a 401 with a Bearer challenge',
      response.status === 401 && (response.headers.get('www-authenticate') ?? '').startsWith('Bearer '),
      `${response.status}`,
    )
  }
  const anonymous = await app.request('/maybe')
  check(
    'hono guard: optional, no token',
    anonymous.status === 200 && ((await anonymous.json()) as { sub: unknown }).sub === null,
  )
  const webCrypto =
    typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule !== 'function'
  return { runtime, webCrypto, passed, failed }
}
