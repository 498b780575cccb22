// Every subpath export of every published package loads by its package name, and the root of
// @auth/core is exactly the explicit list below: a name added or lost there is a public API
// change, so this test makes it one on purpose.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packagesDir = fileURLToPath(new URL('../..', import.meta.url))

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly exports: Record<string, unknown>
}

const published: Manifest[] = readdirSync(packagesDir)
  .map((dir) => JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as Manifest)
  .filter((manifest) => manifest.private !== true)

/** The runtime values `@auth/core` exports (types leave no trace at run time). */
const CORE_ROOT_VALUES = [
  'AUTH_ERROR_CODES',
  'AuthError',
  'DEFAULT_POLICY',
  'DEFAULT_REVOCATION_STALENESS',
  'FAMILY_RECORD_FIELDS',
  'FAMILY_STATUSES',
  'GRACE_BINDINGS',
  'MIN_DERIVE_SECRET_LENGTH',
  'MIN_RSA_BITS',
  'MIN_SECRET_BYTES',
  'RESERVED_CLAIMS',
  'REVOCATION_REASONS',
  'SIGNING_ALGORITHMS',
  'assertKnownOptions',
  'createEngine',
  'createKeyRing',
  'createLocalRevocationFeed',
  'createRevokedFamilies',
  'deriveKeyRing',
  'familyRecordProblem',
  'isAuthError',
  'parseDuration',
  'resolvePolicy',
  'systemClock',
  'withStorageDeadline',
]

describe('published entry points', () => {
  it('lists the ten published packages', () => {
    expect(published.map((m) => m.name).sort()).toEqual([
      '@auth/cli',
      '@auth/client',
      '@auth/core',
      '@auth/express',
      '@auth/fastify',
      '@auth/hono',
      '@auth/storage-conformance',
      '@auth/storage-memory',
      '@auth/storage-redis',
      '@auth/storage-sql',
    ])
  })

  for (const manifest of published) {
    for (const subpath of Object.keys(manifest.exports).filter((s) => s !== './package.json')) {
      const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`
      it(`${specifier} loads and exports something`, async () => {
        const module = (await import(specifier)) as Record<string, unknown>
        const names = Object.keys(module)
        expect(names.length).toBeGreaterThan(0)
        for (const name of names) expect(module[name], `${specifier} exports ${name} as undefined`).toBeDefined()
      })
    }
  }

  it('@auth/core exports exactly its explicit list of values', async () => {
    const core = (await import('@auth/core')) as Record<string, unknown>
    expect(Object.keys(core).sort()).toEqual([...CORE_ROOT_VALUES].sort())
  })

  it('the codecs are in @auth/core/tokens and the pure rules in @auth/core/machine, not at the root', async () => {
    const tokens = (await import('@auth/core/tokens')) as Record<string, unknown>
    const machine = (await import('@auth/core/machine')) as Record<string, unknown>
    for (const name of ['createAccessTokenCodec', 'encodeRefreshToken', 'parseRefreshToken', 'generateFamilyId']) {
      expect(typeof tokens[name]).toBe('function')
    }
    for (const name of [
      'decide',
      'createFamilyRecord',
      'isLive',
      'accessTokenExpiry',
      'isFresh',
      'revocationHorizon',
    ]) {
      expect(typeof machine[name]).toBe('function')
    }
  })
})
