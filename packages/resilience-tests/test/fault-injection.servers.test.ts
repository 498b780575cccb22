import { randomBytes } from 'node:crypto'
import { createManualClock, serviceUrl } from '@auth/core/testing'
import { createRedisStore } from '@auth/storage-redis'
import { createSqlStore, MIGRATIONS_TABLE, migrate } from '@auth/storage-sql'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { modelStats, runArb, runModel } from '../src/fault-model.js'

const RUNS = 30
const redisUrl = serviceUrl('REDIS_URL', 'fault injection on Redis')
const databaseUrl = serviceUrl('DATABASE_URL', 'fault injection on PostgreSQL')

const subjects = (): [string, string] => {
  const run = randomBytes(6).toString('hex')
  return [`alice-${run}`, `bob-${run}`]
}

describe.skipIf(!redisUrl)('fault injection on Redis (property)', () => {
  it(`${RUNS} runs: faults fail closed, families are before or after, retries follow the policy`, async () => {
    const prefix = `resilience-${randomBytes(4).toString('hex')}`
    const store = createRedisStore({ url: redisUrl as string, prefix })
    const before = { ...modelStats }
    try {
      await fc.assert(
        fc.asyncProperty(runArb, async ({ graceBinding, steps }) => {
          // Redis expires keys by the wall clock: the manual clock starts now and only moves forward.
          const clock = createManualClock(Date.now())
          await runModel({ inner: store, clock, subjects: subjects() }, graceBinding, steps)
        }),
        { numRuns: RUNS },
      )
    } finally {
      await store.close()
      const admin = new Redis(redisUrl as string, { maxRetriesPerRequest: 1 })
      let cursor = '0'
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) await admin.unlink(...keys)
      } while (cursor !== '0')
      admin.disconnect()
    }
    expect(modelStats.outages).toBeGreaterThan(before.outages)
  }, 120_000)
})

describe.skipIf(!databaseUrl)('fault injection on PostgreSQL (property)', () => {
  it(`${RUNS} runs: faults fail closed, families are before or after, retries follow the policy`, async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 2000 })
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
    const table = `resilience_${randomBytes(4).toString('hex')}`
    const before = { ...modelStats }
    try {
      await migrate(db, { dialect: 'postgres', table })
      const store = createSqlStore({ db, dialect: 'postgres', table })
      await fc.assert(
        fc.asyncProperty(runArb, async ({ graceBinding, steps }) => {
          const clock = createManualClock(Date.now())
          await runModel({ inner: store, clock, subjects: subjects() }, graceBinding, steps)
        }),
        { numRuns: RUNS },
      )
    } finally {
      await db.schema.dropTable(table).ifExists().execute()
      await sql`DELETE FROM ${sql.table(MIGRATIONS_TABLE)} WHERE table_name = ${table}`.execute(db)
      await db.destroy()
    }
    expect(modelStats.outages).toBeGreaterThan(before.outages)
  }, 120_000)
})
