import { serviceUrl } from '@auth/core/testing'
import { runStoreConformance } from '@auth/storage-conformance'
import { afterAll, describe } from 'vitest'
import type { AnyKysely } from '../src/index.js'
import { openPostgres, sqlSetup } from './support.js'

const url = serviceUrl('DATABASE_URL', 'PostgreSQL conformance')
const db: AnyKysely | undefined = url === undefined ? undefined : openPostgres(url)

afterAll(async () => {
  await db?.destroy()
})

describe.skipIf(db === undefined)('postgres', () => {
  if (db === undefined) return
  runStoreConformance({ name: 'postgres', expiry: 'purge', network: true, setup: sqlSetup(db, 'postgres') })
})
