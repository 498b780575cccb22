import { isAuthError } from '@auth/core'
import { listAllBySubject, serviceUrl } from '@auth/core/testing'
import { makeRecord, rotate } from '@auth/storage-conformance'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import type { AnyKysely, SqlDialect } from '../src/index.js'
import { createSqlStore, MIGRATIONS_TABLE, migrate, SCHEMA_VERSION } from '../src/index.js'
import { dropTable, openMysql, openPostgres, openSqlite, openSqliteFile, uniqueName } from './support.js'

interface Target {
  readonly dialect: SqlDialect
  /** A second, independent connection (pool or file handle) to the same database. */
  readonly open: () => AnyKysely
  readonly close: () => Promise<void>
}

const postgresUrl = serviceUrl('DATABASE_URL', 'PostgreSQL migrations')
const mysqlUrl = serviceUrl('MYSQL_URL', 'MySQL/MariaDB migrations')
const sqliteFile = openSqlite()

const targets: [string, Target | undefined][] = [
  [
    'sqlite',
    {
      dialect: 'sqlite',
      open: () => openSqliteFile(sqliteFile.file),
      close: async () => {
        await sqliteFile.db.destroy()
        sqliteFile.remove()
      },
    },
  ],
  [
    'postgres',
    postgresUrl === undefined
      ? undefined
      : { dialect: 'postgres', open: () => openPostgres(postgresUrl, 2), close: async () => {} },
  ],
  [
    'mysql',
    mysqlUrl === undefined
      ? undefined
      : { dialect: 'mysql', open: () => openMysql(mysqlUrl, 2), close: async () => {} },
  ],
]

/** The index names on `table`, read from the database's catalogue. */
async function indexesOf(db: AnyKysely, dialect: SqlDialect, table: string): Promise<string[]> {
  switch (dialect) {
    case 'postgres': {
      const r = await sql<{ indexname: string }>`SELECT indexname FROM pg_indexes WHERE tablename = ${table}`.execute(
        db,
      )
      return r.rows.map((row) => row.indexname).sort()
    }
    case 'mysql': {
      const r = await sql<{ name: string }>`
        SELECT DISTINCT index_name AS name FROM information_schema.statistics
        WHERE table_schema = DATABASE() AND table_name = ${table}`.execute(db)
      return r.rows.map((row) => row.name).sort()
    }
    case 'sqlite': {
      const r = await sql<{
        name: string
      }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ${table}`.execute(db)
      return r.rows.map((row) => row.name).sort()
    }
    default: {
      const _never: never = dialect
      return _never
    }
  }
}

async function appliedVersions(db: AnyKysely, table: string, schema?: string): Promise<number[]> {
  const scoped = schema === undefined ? db : db.withSchema(schema)
  const rows = await scoped.selectFrom(MIGRATIONS_TABLE).select('version').where('table_name', '=', table).execute()
  return rows.map((row) => Number(row.version))
}

for (const [name, target] of targets) {
  describe.skipIf(target === undefined)(`${name}: migrate`, () => {
    if (target === undefined) return
    const { dialect } = target
    const db = target.open()
    afterAll(async () => {
      await db.destroy()
      await target.close()
    })

    it('creates the table and its indexes once; running it again changes nothing', async () => {
      const table = uniqueName()
      try {
        expect(await migrate(db, { dialect, table })).toEqual({ applied: [1, 2], version: SCHEMA_VERSION })
        expect(await migrate(db, { dialect, table })).toEqual({ applied: [], version: SCHEMA_VERSION })
        expect((await appliedVersions(db, table)).sort()).toEqual([1, 2])
        const indexes = await indexesOf(db, dialect, table)
        expect(indexes).toEqual(expect.arrayContaining([`${table}_by_idle_expiry`, `${table}_by_subject`]))
        // The table works.
        const store = createSqlStore({ db, dialect, table })
        const record = makeRecord(Date.now())
        expect(await store.create(record)).toMatchObject({ ok: true })
        expect(await store.get(record.id)).toEqual(record)
      } finally {
        await dropTable(db, table)
      }
    })

    it('two connections migrating one table at the same moment: one applies, the other finds it done', async () => {
      const table = uniqueName()
      const other = target.open()
      try {
        const results = await Promise.all([migrate(db, { dialect, table }), migrate(other, { dialect, table })])
        expect(results.map((r) => r.applied.length).sort()).toEqual([0, 2])
        expect((await appliedVersions(db, table)).sort()).toEqual([1, 2])
        // Both connections can use it.
        const record = makeRecord(Date.now())
        expect(await createSqlStore({ db: other, dialect, table }).create(record)).toMatchObject({ ok: true })
        expect(await createSqlStore({ db, dialect, table }).get(record.id)).toEqual(record)
      } finally {
        await other.destroy()
        await dropTable(db, table)
      }
    })

    it('migration 2 on a table at schema 1: old rows read as no claims, default policy, no client, no DPoP key; a rerun after a crash mid-way adds only what is missing', async () => {
      const table = uniqueName()
      const t = sql.table(table)
      // Back to schema 1: the columns of migration 2 and its record dropped.
      const downTo1 = async (columns: readonly string[]) => {
        for (const column of columns) await sql`ALTER TABLE ${t} DROP COLUMN ${sql.id(column)}`.execute(db)
        await sql`DELETE FROM ${sql.table(MIGRATIONS_TABLE)} WHERE table_name = ${table} AND version = 2`.execute(db)
      }
      try {
        await migrate(db, { dialect, table })
        await downTo1(['claims', 'policy', 'client_id', 'jkt'])
        const now = Date.now()
        const old = makeRecord(now)
        // A row exactly as version 1 of this package wrote it.
        await sql`INSERT INTO ${t} (id, subject, generation, status, revocation_reason, revoked_at, created_at,
          auth_time, last_used_at, rotated_at, rotated_binding, expires_at, idle_expires_at, version, nonce, meta)
          VALUES (${old.id}, ${old.subject}, 0, 'active', NULL, NULL, ${now}, ${now}, ${now}, NULL, NULL,
          ${old.expiresAt}, ${old.idleExpiresAt}, 1, ${old.nonce}, ${JSON.stringify(old.meta)})`.execute(db)

        expect(await migrate(db, { dialect, table })).toEqual({ applied: [2], version: SCHEMA_VERSION })
        const store = createSqlStore({ db, dialect, table })
        expect(await store.get(old.id)).toEqual({ ...old, claims: {}, policy: null, clientId: null, jkt: null })

        // A crash after the first ALTER of migration 2: claims exists, the rest and the record do not.
        await downTo1(['policy', 'client_id', 'jkt'])
        expect(await migrate(db, { dialect, table })).toEqual({ applied: [2], version: SCHEMA_VERSION })
        const current = makeRecord(Date.now())
        expect(await store.create(current)).toMatchObject({ ok: true })
        expect(await store.get(current.id)).toEqual(current)
      } finally {
        await dropTable(db, table)
      }
    })

    it('two tables in one database live side by side', async () => {
      const [a, b] = [uniqueName('a'), uniqueName('b')]
      try {
        await migrate(db, { dialect, table: a })
        await migrate(db, { dialect, table: b })
        const storeA = createSqlStore({ db, dialect, table: a })
        const storeB = createSqlStore({ db, dialect, table: b })
        const record = makeRecord(Date.now())
        await storeA.create(record)
        expect(await storeA.get(record.id)).toEqual(record)
        expect(await storeB.get(record.id)).toBeNull()
        expect(await storeB.compareAndSet(record.id, 1, rotate(record, Date.now()))).toEqual({
          ok: false,
          reason: 'not_found',
        })
      } finally {
        await dropTable(db, a)
        await dropTable(db, b)
      }
    })

    it('refuses a table at a newer schema version than this code knows', async () => {
      const table = uniqueName()
      try {
        await migrate(db, { dialect, table })
        await db
          .insertInto(MIGRATIONS_TABLE)
          .values({ table_name: table, version: SCHEMA_VERSION + 1, name: 'from the future', applied_at: Date.now() })
          .execute()
        const error = await migrate(db, { dialect, table }).catch((e: unknown) => e)
        expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
        expect((error as Error).message).toMatch(/newer/)
      } finally {
        await dropTable(db, table)
      }
    })
  })
}

describe.skipIf(postgresUrl === undefined)('postgres: a custom schema', () => {
  if (postgresUrl === undefined) return
  const db = openPostgres(postgresUrl, 2)
  afterAll(() => db.destroy())

  it('migrate creates the schema, the table lives in it, and the default schema is untouched', async () => {
    const schema = uniqueName('auth')
    const table = 'families'
    try {
      expect((await migrate(db, { dialect: 'postgres', schema, table })).applied).toEqual([1, 2])
      expect((await migrate(db, { dialect: 'postgres', schema, table })).applied).toEqual([])
      const found = await sql<{ table_schema: string }>`
        SELECT table_schema FROM information_schema.tables WHERE table_name = ${table} AND table_schema = ${schema}`.execute(
        db,
      )
      expect(found.rows).toEqual([{ table_schema: schema }])
      expect((await appliedVersions(db, table, schema)).sort()).toEqual([1, 2])
      const store = createSqlStore({ db, dialect: 'postgres', schema, table })
      const record = makeRecord(Date.now(), { idleExpiresAt: Date.now() - 1 })
      expect(await store.create(record)).toMatchObject({ ok: true })
      expect(await listAllBySubject(store, record.subject)).toEqual([record])
      expect(await store.purgeExpired(Date.now())).toBe(1)
      // The same table name without the schema does not exist: a configuration error (run
      // migrate), not an outage to retry.
      const unscoped = createSqlStore({ db, dialect: 'postgres', table })
      const error = await unscoped.get(record.id).catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
    } finally {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db)
    }
  })
})

describe('configuration is checked before any SQL runs', () => {
  const sqlite = openSqlite()
  afterAll(async () => {
    await sqlite.db.destroy()
    sqlite.remove()
  })

  const refused = (fn: () => unknown) => {
    let error: unknown
    try {
      fn()
    } catch (e) {
      error = e
    }
    return isAuthError(error) ? error.code : `no AuthError: ${String(error)}`
  }

  it('refuses table and schema names that are not plain identifiers', async () => {
    for (const table of ['', 'a-b', 'x; DROP TABLE users', '1abc', 'a'.repeat(49), 'tab"le', 'ta.ble']) {
      expect(
        refused(() => createSqlStore({ db: sqlite.db, dialect: 'sqlite', table })),
        table,
      ).toBe('ERR_CONFIG_INVALID')
      const error = await migrate(sqlite.db, { dialect: 'sqlite', table }).catch((e: unknown) => e)
      expect(isAuthError(error) && error.code, table).toBe('ERR_CONFIG_INVALID')
    }
    expect(refused(() => createSqlStore({ db: sqlite.db, dialect: 'sqlite', table: 'a'.repeat(48) }))).toMatch(
      /no AuthError/,
    )
    expect(refused(() => createSqlStore({ db: sqlite.db, dialect: 'postgres', schema: 'bad schema' }))).toBe(
      'ERR_CONFIG_INVALID',
    )
  })

  it('refuses a schema outside PostgreSQL, an unknown dialect, a missing db and a bad timeout', () => {
    expect(refused(() => createSqlStore({ db: sqlite.db, dialect: 'sqlite', schema: 'auth' }))).toBe(
      'ERR_CONFIG_INVALID',
    )
    expect(refused(() => createSqlStore({ db: sqlite.db, dialect: 'oracle' as never }))).toBe('ERR_CONFIG_INVALID')
    expect(refused(() => createSqlStore({ db: {} as never, dialect: 'sqlite' }))).toBe('ERR_CONFIG_INVALID')
    for (const timeoutMs of [0, -1, 1.5, Number.NaN]) {
      expect(refused(() => createSqlStore({ db: sqlite.db, dialect: 'sqlite', timeoutMs }))).toBe('ERR_CONFIG_INVALID')
    }
  })

  it('purgeExpired refuses a nonsensical batch size or time', async () => {
    const table = uniqueName()
    await migrate(sqlite.db, { dialect: 'sqlite', table })
    const store = createSqlStore({ db: sqlite.db, dialect: 'sqlite', table })
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      const error = await store.purgeExpired(0, { batchSize }).catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
    }
    const error = await store.purgeExpired(Number.NaN).catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
  })
})
