// Issue 14 on Web runtimes: the verifier and the Hono guard (Web Crypto, no node:crypto) pass one
// runtime-neutral suite (runtimes/verify-suite.ts) on Bun and in workerd (Cloudflare's runtime,
// through miniflare), both installed from the npm registry. This test makes the vectors with the
// engine on Node, launches each runtime, and asserts its report.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createEngine } from '@auth/core'
import { createManualClock, createTestStore, TEST_SECRET } from '@auth/core/testing'
import { createVerifier } from '@auth/core/verifier'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report, Vectors } from '../runtimes/verify-suite.js'

const run = promisify(execFile)
const HERE = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const BUN = join(require.resolve('@oven/bun-linux-x64/package.json'), '..', 'bin', 'bun')

let vectors: Vectors
let work: string

beforeAll(async () => {
  const clock = createManualClock()
  const issuer = 'https://auth.example.test'
  const engine = createEngine({
    store: createTestStore({ clock }),
    clock,
    issuer,
    audience: 'api',
    secret: TEST_SECRET,
  })
  const elsewhere = createEngine({
    store: createTestStore({ clock }),
    clock,
    issuer,
    audience: 'other',
    secret: TEST_SECRET,
  })
  const early = await engine.issue('early')
  clock.advance(60 * 60_000)
  const good = await engine.issue('alice', { claims: { role: 'admin' } })
  const other = await elsewhere.issue('mallory')
  const tampered = `${good.accessToken.slice(0, -10)}${good.accessToken.at(-10) === 'A' ? 'B' : 'A'}${good.accessToken.slice(-9)}`
  const cases = [
    { name: 'a good token', token: good.accessToken },
    { name: 'a tampered signature', token: tampered },
    { name: 'not a JWT', token: 'not.a.token' },
    { name: 'an expired token', token: early.accessToken },
    { name: 'another audience', token: other.accessToken },
  ]
  // The expected codes are what the verifier answers on Node: the runtimes must agree.
  const node = createVerifier({ issuer, audience: 'api', jwks: engine.jwks(), clock })
  vectors = {
    issuer,
    audience: 'api',
    now: clock.now(),
    jwks: engine.jwks() as unknown as Vectors['jwks'],
    cases: await Promise.all(
      cases.map(async (c) => {
        const result = await node.verifyAccess(c.token)
        return { ...c, expect: result.ok ? 'ok' : result.code }
      }),
    ),
  }
  expect(vectors.cases.map((c) => c.expect)).toEqual([
    'ok',
    'ERR_ACCESS_TOKEN_INVALID',
    'ERR_ACCESS_TOKEN_MALFORMED',
    'ERR_ACCESS_TOKEN_EXPIRED',
    'ERR_ACCESS_TOKEN_INVALID',
  ])
  work = mkdtempSync(join(tmpdir(), 'auth-runtimes-'))
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

function expectClean(report: Report): void {
  expect(report.failed).toEqual([])
  expect(report.passed).toHaveLength(vectors.cases.length + 3)
}

describe('the verifier and the Hono guard on Web runtimes', () => {
  it('Bun (@oven/bun-linux-x64 from the registry) passes the suite', async () => {
    const file = join(work, 'vectors.json')
    writeFileSync(file, JSON.stringify(vectors))
    const { stdout } = await run(BUN, ['--conditions=@auth/source', join(HERE, 'runtimes', 'bun-entry.ts'), file], {
      cwd: HERE,
    })
    const report = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Report
    expect(report.runtime).toMatch(/^bun 1\./)
    expectClean(report)
  })

  it('workerd (through miniflare, Web Crypto only) passes the suite', async () => {
    const bundle = await build({
      entryPoints: [join(HERE, 'runtimes', 'worker-entry.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['@auth/source', 'workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      define: { VECTORS: JSON.stringify(vectors) },
      logLevel: 'silent',
    })
    const script = bundle.outputFiles[0]?.text as string
    expect(script).not.toMatch(/from\s*["']node:/)
    const mf = new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01' })
    try {
      const response = await mf.dispatchFetch('http://localhost/')
      const report = (await response.json()) as Report
      expect(report.runtime).toBe('workerd')
      expect(report.webCrypto).toBe(true)
      expectClean(report)
    } finally {
      await mf.dispose()
    }
  })
})
