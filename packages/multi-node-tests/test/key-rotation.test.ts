// Key rotation end to end, at the engine level, on a real store shared by "nodes" (engines).
// The operational model (docs/operations.md): keys are configuration; a rotation is two rolling
// deploys of the key ring (1. add the new key everywhere, 2. make it active and give the old one a
// retiresAt), and retirement then happens by the clock, without a third deploy. Each deploy is a
// new engine on the same store with the new ring; we model each node's ring with its own engine.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import {
  createEngine,
  type Engine,
  type FamilyStore,
  type KeyRingInput,
  type RefreshKeyInput,
  type SigningKeyInput,
} from '@auth/core'
import { createManualClock, type ManualClock, serviceUrl } from '@auth/core/testing'
import { parseRefreshToken } from '@auth/core/tokens'
import { createRedisStore } from '@auth/storage-redis'
import { createSqlStore, MIGRATIONS_TABLE, migrate } from '@auth/storage-sql'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'

const redisUrl = serviceUrl('REDIS_URL', 'key rotation on Redis')
const databaseUrl = serviceUrl('DATABASE_URL', 'key rotation on PostgreSQL')

const ACCESS_TTL = 15 * 60_000
const LEEWAY = 5_000
const IDLE_TTL = 60 * 60_000
const policy = {
  accessTtl: '15m',
  leeway: '5s',
  refreshIdleTtl: '1h',
  sessionMaxAge: '30d',
  reuseGrace: '10s',
  // Key rotation is the subject here, not grace binding: every node refreshes without one.
  graceBinding: 'none',
} as const

function signingKey(kid: string, retiresAt?: number): SigningKeyInput {
  const { privateKey } = generateKeyPairSync('ed25519')
  return { kid, alg: 'EdDSA', privateKey, ...(retiresAt === undefined ? {} : { retiresAt }) }
}

function kidOf(accessToken: string): string {
  const header = JSON.parse(Buffer.from(accessToken.split('.')[0] as string, 'base64url').toString()) as { kid: string }
  return header.kid
}

function refreshKidOf(refreshToken: string): string {
  const parsed = parseRefreshToken(refreshToken)
  if (!parsed.ok) throw new Error('unparseable refresh token')
  return parsed.token.kid
}

interface StoreCase {
  readonly name: string
  readonly url: string | undefined
  readonly open: (url: string) => Promise<{ store: FamilyStore; close: () => Promise<void> }>
}

const stores: StoreCase[] = [
  {
    name: 'Redis',
    url: redisUrl,
    async open(url) {
      const store = createRedisStore({ url, prefix: `rot-${randomBytes(4).toString('hex')}` })
      return { store, close: () => store.close() }
    },
  },
  {
    name: 'PostgreSQL',
    url: databaseUrl,
    async open(url) {
      const db = new Kysely<never>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }),
      })
      const table = `rot_${randomBytes(4).toString('hex')}`
      await migrate(db, { dialect: 'postgres', table })
      return {
        store: createSqlStore({ db, dialect: 'postgres', table }),
        async close() {
          await db.schema.dropTable(table).ifExists().execute()
          await sql`delete from ${sql.table(MIGRATIONS_TABLE)} where table_name = ${table}`.execute(db)
          await db.destroy()
        },
      }
    },
  },
]

for (const storeCase of stores) {
  describe.skipIf(!storeCase.url)(`key rotation end to end on ${storeCase.name}`, () => {
    const closers: Array<() => Promise<void>> = []
    afterAll(async () => {
      for (const close of closers) await close()
    })

    async function fleet(): Promise<{ clock: ManualClock; node: (keys: KeyRingInput) => Engine }> {
      const { store, close } = await storeCase.open(storeCase.url as string)
      closers.push(close)
      const clock = createManualClock(Date.now())
      const node = (keys: KeyRingInput) =>
        createEngine({ store, issuer: 'https://issuer.test', audience: 'api', keys, policy, clock })
      return { clock, node }
    }

    it('signing key: old tokens verify until the old key retires, new tokens carry the new kid, JWKS serves both then drops the old one', async () => {
      const { clock, node } = await fleet()
      const refresh: RefreshKeyInput[] = [{ kid: 'r1', secret: randomBytes(32) }]
      const k1 = signingKey('sig-2026-01')
      const k2 = signingKey('sig-2026-02')

      // Before: every node signs and verifies with k1.
      const before = node({ signing: [k1], refresh })
      const old = await before.issue('alice')
      expect(kidOf(old.accessToken)).toBe('sig-2026-01')

      // Deploy 1: k2 is added everywhere but not active. JWKS publishes it ahead of use, so
      // verifiers that cache the JWKS learn it before any token carries it.
      const added = node({ signing: [k1, k2], refresh, activeSigningKid: 'sig-2026-01' })
      expect(added.jwks().keys.map((k) => k.kid)).toEqual(['sig-2026-01', 'sig-2026-02'])
      expect(kidOf((await added.issue('bob')).accessToken)).toBe('sig-2026-01')

      // Deploy 2: k2 active, k1 retires once every token it signed has expired.
      clock.advance(60_000)
      const retiresAt = clock.now() + ACCESS_TTL + LEEWAY
      const rotated = node({ signing: [k2, { ...k1, retiresAt }], refresh })
      const fresh = await rotated.issue('carol')
      expect(kidOf(fresh.accessToken)).toBe('sig-2026-02')
      expect(rotated.jwks().keys.map((k) => k.kid)).toEqual(['sig-2026-02', 'sig-2026-01'])
      // Mid-rollout, both generations of nodes accept both generations of tokens.
      expect((await rotated.verifyAccess(old.accessToken)).ok).toBe(true)
      expect((await added.verifyAccess(fresh.accessToken)).ok).toBe(true)
      // A family from before the rotation refreshes into a token under the new key.
      const next = await rotated.refresh(old.refreshToken)
      expect(next.ok && kidOf(next.pair.accessToken)).toBe('sig-2026-02')

      // A k1 token issued just before the switch (by a node not yet redeployed) lives to retiresAt.
      const late = await added.issue('dave')
      expect(kidOf(late.accessToken)).toBe('sig-2026-01')
      clock.set(late.accessTokenExpiresAt - 1_000)
      expect((await rotated.verifyAccess(late.accessToken)).ok).toBe(true) // and now cached

      // Retirement happens by the clock: k1 leaves the JWKS and stops verifying, cache or not.
      clock.set(retiresAt)
      expect(rotated.jwks().keys.map((k) => k.kid)).toEqual(['sig-2026-02'])
      expect((await rotated.verifyAccess(late.accessToken)).ok).toBe(false)
      expect((await rotated.verifyAccess(fresh.accessToken)).ok).toBe(false) // expired by now, of course
      const after = await rotated.issue('erin')
      expect((await rotated.verifyAccess(after.accessToken)).ok).toBe(true)
    })

    it('a compromised signing key retired early: its unexpired tokens are refused at once (ERR_ACCESS_TOKEN_INVALID)', async () => {
      const { clock, node } = await fleet()
      const refresh: RefreshKeyInput[] = [{ kid: 'r1', secret: randomBytes(32) }]
      const k1 = signingKey('leaked')
      const k2 = signingKey('clean')
      const pair = await node({ signing: [k1], refresh }).issue('frank')
      const emergency = node({ signing: [k2, { ...k1, retiresAt: clock.now() }], refresh })
      expect(await emergency.verifyAccess(pair.accessToken)).toMatchObject({
        ok: false,
        code: 'ERR_ACCESS_TOKEN_INVALID',
      })
      expect(emergency.jwks().keys.map((k) => k.kid)).toEqual(['clean'])
      // The family itself is fine: its refresh token still works and yields a token under the clean key.
      const next = await emergency.refresh(pair.refreshToken)
      expect(next.ok && kidOf(next.pair.accessToken)).toBe('clean')
    })

    it('refresh MAC key: families keep refreshing (next token under the new kid); tokens under a retired key get ERR_REFRESH_TOKEN_KEY_RETIRED', async () => {
      const { clock, node } = await fleet()
      const signing = [signingKey('sig')]
      const r1: RefreshKeyInput = { kid: 'r1', secret: randomBytes(32) }
      const r2: RefreshKeyInput = { kid: 'r2', secret: randomBytes(32) }

      const before = node({ signing, refresh: [r1] })
      const active = await before.issue('grace')
      const dormant = await before.issue('heidi')
      expect(refreshKidOf(active.refreshToken)).toBe('r1')

      // Deploy 1: r2 known everywhere, r1 still active. A node here accepts r2 tokens that a
      // node of deploy 2 hands out; without this step, it would refuse them as unknown.
      const added = node({ signing, refresh: [r1, r2], activeRefreshKid: 'r1' })
      // Deploy 2: r2 active; r1 retires after one idle TTL, by which time every family that is
      // still in use has refreshed onto r2 (and the rest have expired anyway).
      const retiresAt = clock.now() + IDLE_TTL
      const rotated = node({ signing, refresh: [r2, { ...r1, retiresAt }] })

      const first = await rotated.refresh(active.refreshToken)
      if (!first.ok) throw new Error(first.code)
      expect(first.type).toBe('rotated')
      expect(refreshKidOf(first.pair.refreshToken)).toBe('r2')
      const second = await added.refresh(first.pair.refreshToken) // a node of deploy 1 reads r2
      if (!second.ok) throw new Error(second.code)
      expect(second.type).toBe('rotated')
      expect(refreshKidOf(second.pair.refreshToken)).toBe('r1') // it still issues under r1…
      clock.advance(30 * 60_000)
      const third = await rotated.refresh(second.pair.refreshToken) // …which the rotated node accepts until retiresAt
      if (!third.ok) throw new Error(third.code)
      expect(refreshKidOf(third.pair.refreshToken)).toBe('r2')

      // Retiring r1 early (say it leaked): a live family still on r1 is refused with its own code,
      // and the refusal does not touch the family.
      const late = await added.issue('ivan')
      const emergency = node({ signing, refresh: [r2, { ...r1, retiresAt: clock.now() }] })
      expect(await emergency.refresh(late.refreshToken)).toMatchObject({
        ok: false,
        code: 'ERR_REFRESH_TOKEN_KEY_RETIRED',
      })
      expect((await emergency.list('ivan')).map((f) => f.generation)).toEqual([0])

      // On the normal timeline, r1 retires one idle TTL after the switch: a family that stayed
      // on r1 that long was idle for the whole TTL, so nobody still using the app is logged out.
      clock.set(retiresAt)
      expect(await rotated.refresh(dormant.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_KEY_RETIRED' })
      // The family that moved to r2 keeps going.
      const fourth = await rotated.refresh(third.pair.refreshToken)
      expect(fourth.ok).toBe(true)
    })
  })
}
