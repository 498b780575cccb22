import { createEngine, createRevokedFamilies, type RevokedFamilies } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { revocationFeedSuite } from '@auth/storage-conformance'
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const url = serviceUrl('DATABASE_URL', 'PostgreSQL revocation feed')

describe.skipIf(!url)('PostgreSQL revocation feed (real PostgreSQL)', () => {
  const databaseUrl = url as string
  const familiesTable = uniqueName('fam')
  const logTable = uniqueName('rev')
  const channel = uniqueName('chan')
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  let db: AnyKysely
  const nodes: { revocations: RevokedFamilies; feed: PostgresRevocationFeed }[] = []

  /** One app node: its own feed (pool + LISTEN connection), set and engine, on the shared families table. */
  function node(name: string, options: { staleness?: string; reconnectMs?: number } = {}) {
    const feed = createPostgresRevocationFeed({
      connectionString: databaseUrl,
      table: logTable,
      channel,
      applicationName: `${channel}-${name}`,
      heartbeatInterval: 100,
      reconnectDelay: options.reconnectMs ?? 50,
    })
    const revocations = createRevokedFamilies({ feed, staleness: options.staleness ?? '5s', onError: () => {} })
    const engine = createEngine({
      store: createSqlStore({ db, dialect: 'postgres', table: familiesTable }),
      issuer: 'https://issuer.test',
      audience: 'api',
      secret: 'u+o5W5mjwP6YtTDKB/FawjHWwF7XkAxSfDrAUNamP0M=',
      revocations,
    })
    nodes.push({ revocations, feed })
    return { engine, revocations }
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

  revocationFeedSuite({
    label: '[postgres feed]',
    disconnection: 'its LISTEN backend is terminated (pg_terminate_backend)',
    revokeWays: ['revoke', 'revokeAll'],
    node,
    disconnect: terminate,
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
