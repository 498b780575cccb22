import { listAllBySubject, serviceUrl } from '@auth/core/testing'
import { makeRecord, newSubject, rotate } from '@auth/storage-conformance'
import { afterAll, describe, expect, it } from 'vitest'
import type { AnyKysely, SqlDialect } from '../src/index.js'
import { createSqlStore, migrate } from '../src/index.js'
import { dropTable, openMysql, openPostgres, openSqlite, uniqueName } from './support.js'

// MySQL and MariaDB compare VARCHARs with PAD SPACE: 'a' = 'a '. A lookup or a write must still
// only ever reach the family whose id is exactly the one asked for.
const postgresUrl = serviceUrl('DATABASE_URL', 'PostgreSQL exact keys')
const mysqlUrl = serviceUrl('MYSQL_URL', 'MySQL/MariaDB exact keys')
const sqlite = openSqlite()
afterAll(async () => {
  await sqlite.db.destroy()
  sqlite.remove()
})

const targets: [SqlDialect, (() => AnyKysely) | undefined][] = [
  ['sqlite', () => sqlite.db],
  ['postgres', postgresUrl === undefined ? undefined : () => openPostgres(postgresUrl, 2)],
  ['mysql', mysqlUrl === undefined ? undefined : () => openMysql(mysqlUrl, 2)],
]

for (const [dialect, open] of targets) {
  describe.skipIf(open === undefined)(`${dialect}: ids and subjects match exactly`, () => {
    if (open === undefined) return
    const db = open()
    afterAll(async () => {
      if (dialect !== 'sqlite') await db.destroy()
    })

    it('a padded id neither reads nor writes the family of the unpadded one', async () => {
      const table = uniqueName()
      try {
        await migrate(db, { dialect, table })
        const store = createSqlStore({ db, dialect, table })
        const subject = newSubject()
        const record = makeRecord(Date.now(), { subject })
        await store.create(record)
        const padded = `${record.id} `
        expect(await store.get(padded)).toBeNull()
        const next = { ...rotate(record, Date.now()), id: padded }
        expect(await store.compareAndSet(padded, 1, next)).toEqual({ ok: false, reason: 'not_found' })
        expect(await store.get(record.id)).toEqual(record)
        expect(await listAllBySubject(store, `${subject} `)).toEqual([])
        expect(await listAllBySubject(store, subject)).toEqual([record])
      } finally {
        await dropTable(db, table)
      }
    })
  })
}
