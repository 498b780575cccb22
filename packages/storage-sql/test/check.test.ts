// Issue 11 §2: a store that is not migrated is a configuration error with the fix, found by the
// start-up check (engine.check() calls store.check()) and, if the app skips it, on every call,
// never a retryable 503.
import { createEngine } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { makeRecord } from '@auth/storage-conformance'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import type { AnyKysely, SqlDialect } from '../src/index.js'
import { createSqlStore, MIGRATIONS_TABLE, migrate } from '../src/index.js'
import { dropTable, openMysql, openPostgres, openSqlite, uniqueName } from './support.js'

const postgresUrl = serviceUrl('DATABASE_URL', 'PostgreSQL start-up check')
const mysqlUrl = serviceUrl('MYSQL_URL', 'MySQL/MariaDB start-up check')
const sqlite = openSqlite()

const targets: [SqlDialect, AnyKysely | undefined][] = [
  ['postgres', postgresUrl ? openPostgres(postgresUrl, 2) : undefined],
  ['mysql', mysqlUrl ? openMysql(mysqlUrl, 2) : undefined],
  ['sqlite', sqlite.db],
]

afterAll(async () => {
  for (const [, db] of targets) await db?.destroy()
  sqlite.remove()
})

for (const [dialect, db] of targets) {
  describe.skipIf(db === undefined)(`${dialect}: the start-up check`, () => {
    if (db === undefined) return
    const engineOn = (table: string) =>
      createEngine({
        store: createSqlStore({ db, dialect, table }),
        issuer: 'https://issuer.test',
        audience: 'api',
        secret: 'jRtWGCCN5omMEm1bS+E66kduq58B5DZxNMbvH0R9eFw=',
      })

    it('a table never migrated: check() and every call say ERR_CONFIG_INVALID with "run migrate()", never a 503', async () => {
      const table = uniqueName('chk')
      const store = createSqlStore({ db, dialect, table })
      await expect(store.check()).rejects.toMatchObject({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(
          /schema version 0 \(not created\).*run migrate\(db, \{ dialect: '\w+', table: 'chk_\w+' \}\)/,
        ),
      })
      await expect(engineOn(table).check()).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
      await expect(store.get('some-family')).rejects.toMatchObject({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(/run migrate\(\) before starting/),
      })
    })

    it('a table at schema 1 (an upgrade without migrate): check() names both versions', async () => {
      const table = uniqueName('chk')
      await migrate(db, { dialect, table })
      await sql`DELETE FROM ${sql.table(MIGRATIONS_TABLE)} WHERE table_name = ${table} AND version = 2`.execute(db)
      try {
        await expect(createSqlStore({ db, dialect, table }).check()).rejects.toMatchObject({
          code: 'ERR_CONFIG_INVALID',
          message: expect.stringMatching(/schema version 1, and this @auth\/storage-sql needs 2; run migrate/),
        })
      } finally {
        await dropTable(db, table)
      }
    })

    it('a migrated table passes, and so does the engine check on it', async () => {
      const table = uniqueName('chk')
      await migrate(db, { dialect, table })
      try {
        const store = createSqlStore({ db, dialect, table })
        await expect(store.check()).resolves.toBeUndefined()
        await expect(engineOn(table).check()).resolves.toBeUndefined()
        expect(await store.create(makeRecord(Date.now()))).toMatchObject({ ok: true })
      } finally {
        await dropTable(db, table)
      }
    })
  })
}
