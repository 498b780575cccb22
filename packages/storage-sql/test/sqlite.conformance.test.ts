import { runStoreConformance } from '@auth/storage-conformance'
import { afterAll } from 'vitest'
import { openSqlite, sqlSetup } from './support.js'

// SQLite needs no server: this suite always runs, on a temporary file.
const sqlite = openSqlite()

afterAll(async () => {
  await sqlite.db.destroy()
  sqlite.remove()
})

runStoreConformance({ name: 'sqlite', expiry: 'purge', setup: sqlSetup(sqlite.db, 'sqlite') })
