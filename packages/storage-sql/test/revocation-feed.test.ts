import { createEngine, createRevokedFamilies, type Engine, type RevokedFamilies } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { serviceUrl } from '@auth/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AnyKysely,
  createPostgresRevocationFeed,
  createSqlStore,
  migrate,
  type PostgresRevocationFeed,
} from '../src/index.js'
import { dropTable, openPostgres, uniqueName } from './support.js'

const url = serviceUrl('DATABASE_URL', 'PostgreSQL revocation feed')

interface Node {
  readonly engine: Engine
  readonly revocations: RevokedFamilies
  readonly feed: PostgresRevocationFeed
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

describe.skipIf(!url)('PostgreSQL revocation feed (real PostgreSQL)', () => {
  const databaseUrl = url as string
  const familiesTable = uniqueName('fam')
  const logTable = uniqueName('rev')
  const channel = uniqueName('chan')
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  let db: AnyKysely
  const nodes: Node[] = []

  /** One app node: its own feed (pool + LISTEN connection), set and engine, on the shared families table. */
  function node(name: string, options: { staleness?: string; reconnectDelay?: number } = {}): Node {
    const feed = createPostgresRevocationFeed({
      connectionString: databaseUrl,
      table: logTable,
      channel,
      applicationName: `${channel}-${name}`,
      heartbeatInterval: 100,
      reconnectDelay: options.reconnectDelay ?? 50,
    })
    const revocations = createRevokedFamilies({ feed, staleness: options.staleness ?? '5s', onError: () => {} })
    const engine = createEngine({
      store: createSqlStore({ db, dialect: 'postgres', table: familiesTable }),
      issuer: 'https://issuer.test',
      audience: 'api',
      secret: 'a shared secret of at least thirty-two characters',
      revocations,
    })
    const created = { engine, revocations, feed }
    nodes.push(created)
    return created
  }

  /** Ends the LISTEN connection of node `name` from the server side. */
  async function terminate(name: string): Promise<number> {
    const result = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [`${channel}-${name}`],
    )
    return result.rowCount ?? 0
  }

  beforeAll(async () => {
    db = openPostgres(databaseUrl)
    await migrate(db, { dialect: 'postgres', table: familiesTable })
    const setup = createPostgresRevocationFeed({ connectionString: databaseUrl, table: logTable, channel })
    await setup.migrate()
    await setup.migrate() // idempotent
    await setup.close()
  })

  afterAll(async () => {
    for (const n of nodes) {
      await n.revocations.close()
      await n.feed.close()
    }
    if (db) await dropTable(db, familiesTable)
    await db?.destroy()
    await admin.query(`DROP TABLE IF EXISTS "${logTable}"`)
    await admin.end()
  })

  it('a revoke on node A is refused on node B in well under a second (50 revocations)', async () => {
    const a = node('a')
    const b = node('b')
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const latencies: number[] = []
    for (let i = 0; i < 50; i++) {
      const pair = await a.engine.issue(`user-${i}`)
      expect((await b.engine.verifyAccess(pair.accessToken)).ok).toBe(true)
      const start = performance.now()
      if (i % 2 === 0) expect((await a.engine.revoke(pair.familyId, 'admin')).ok).toBe(true)
      else expect((await a.engine.revokeAll(`user-${i}`)).revoked).toBe(1)
      await until('B to refuse', async () => (await b.engine.verifyAccess(pair.accessToken)).ok === false, 2_000)
      latencies.push(performance.now() - start)
      expect(await b.engine.verifyAccess(pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    }
    latencies.sort((x, y) => x - y)
    const p50 = latencies[Math.floor(latencies.length / 2)] as number
    const max = latencies[latencies.length - 1] as number
    console.log(
      `[postgres feed] revoke on A -> refused on B over 50 revocations: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    )
    expect(max).toBeLessThan(1_000)
  })

  it('after its LISTEN backend is terminated (pg_terminate_backend), a node resyncs the revocations it missed', async () => {
    const a = node('a2')
    const b = node('b2', { reconnectDelay: 400 })
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const pairs = await Promise.all([1, 2, 3].map((i) => a.engine.issue(`missed-${i}`)))
    expect(await terminate('b2')).toBe(1)
    await until('B to notice the disconnection', () => !b.revocations.status().connected)
    for (const pair of pairs) expect((await a.engine.revoke(pair.familyId, 'admin')).ok).toBe(true)
    await sleep(50)
    for (const pair of pairs) expect((await b.engine.verifyAccess(pair.accessToken)).ok).toBe(true) // missed
    await until('B to reconnect and resync', () => b.revocations.status().synced)
    for (const pair of pairs) {
      expect(await b.engine.verifyAccess(pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    }
  })

  it('a node that cannot hear the feed for longer than the staleness bound fails closed (503 with Retry-After), then recovers', async () => {
    const a = node('a3')
    const c = node('c3', { staleness: '600ms', reconnectDelay: 1_500 })
    await Promise.all([a.revocations.ready(), c.revocations.ready()])
    const http = createAuthHttp({ engine: c.engine })
    const pair = await a.engine.issue('stale-user')
    const request = {
      method: 'GET',
      path: '/api/me',
      headers: new Headers({ authorization: `Bearer ${pair.accessToken}` }),
      body: { kind: 'none' as const },
    }
    expect((await http.authenticate(request)).ok).toBe(true)
    expect(await terminate('c3')).toBe(1)
    await sleep(800)
    await expect(c.engine.verifyAccess(pair.accessToken)).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    const refused = await http.authenticate(request)
    expect(refused.ok).toBe(false)
    if (!refused.ok) {
      expect(refused.response.status).toBe(503)
      expect(refused.response.headers['retry-after']).toBe('1')
    }
    await until('C to reconnect and resync', () => c.revocations.status().synced, 5_000)
    expect((await c.engine.verifyAccess(pair.accessToken)).ok).toBe(true)
  })

  it('the log keeps the later until, trims passed entries, and listRevoked returns only live ones', async () => {
    const feed = createPostgresRevocationFeed({ connectionString: databaseUrl, table: logTable, channel })
    const now = Date.now()
    await feed.publish('old', now + 1)
    await feed.publish('live', now + 60_000)
    await feed.publish('live', now + 30_000)
    await sleep(5)
    await feed.publish('other', now + 60_000) // trims 'old'
    const live = await feed.listRevoked(now + 2)
    expect(live.filter((e) => e.familyId === 'live')).toEqual([{ familyId: 'live', until: now + 60_000 }])
    const old = await admin.query(`SELECT 1 FROM "${logTable}" WHERE family_id = 'old'`)
    expect(old.rowCount).toBe(0)
    await feed.close()
  })
})
