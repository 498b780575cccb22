import { serviceUrl } from '@auth/core/testing'
import { runStoreConformance } from '@auth/storage-conformance'
import { afterAll, describe } from 'vitest'
import type { AnyKysely } from '../src/index.js'
import { openMysql, sqlSetup } from './support.js'

const url = serviceUrl('MYSQL_URL', 'MySQL/MariaDB conformance')
const db: AnyKysely | undefined = url === undefined ? undefined : openMysql(url)

afterAll(async () => {
  await db?.destroy()
})

describe.skipIf(db === undefined)('mysql', () => {
  if (db === undefined) return
  runStoreConformance({ name: 'mysql', expiry: 'purge', network: true, setup: sqlSetup(db, 'mysql') })
})
