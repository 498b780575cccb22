import { writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { type AuthErrorCode, isAuthError } from '@auth/core'
import { makeRecord, rotate } from '@auth/storage-conformance'
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { AnyKysely, SqlDialect } from '../src/index.js'
import { createSqlStore, migrate } from '../src/index.js'
import { openSqlite } from './support.js'

const TIMEOUT = 500
/** Room over the deadline for a loaded 2-core machine; a hang would blow far past it. */
const SLACK = 2000

async function failureOf(promise: Promise<unknown>): Promise<{ code: AuthErrorCode | string; cause?: unknown }> {
  try {
    await promise
    return { code: 'resolved' }
  } catch (error) {
    return isAuthError(error) ? { code: error.code, cause: error.cause } : { code: `not an AuthError: ${error}` }
  }
}

/** Every store call (and migrate) fails with `code` within the deadline, keeping the driver error as cause. */
async function expectEveryCall(db: AnyKysely, dialect: SqlDialect, code: AuthErrorCode): Promise<void> {
  const store = createSqlStore({ db, dialect, timeoutMs: TIMEOUT })
  const record = makeRecord(Date.now())
  const calls: [string, () => Promise<unknown>][] = [
    ['create', () => store.create(record)],
    ['get', () => store.get(record.id)],
    ['compareAndSet', () => store.compareAndSet(record.id, 1, rotate(record, Date.now()))],
    ['listBySubject', () => store.listBySubject(record.subject, { limit: 100 })],
    ['purgeExpired', () => store.purgeExpired(Date.now())],
  ]
  for (const [name, call] of calls) {
    const started = performance.now()
    const failure = await failureOf(call())
    expect(failure.code, name).toBe(code)
    expect(failure.cause, `${name} keeps the driver's error`).toBeInstanceOf(Error)
    expect(performance.now() - started, `${name} took too long`).toBeLessThan(TIMEOUT + SLACK)
  }
}

function pgAt(port: number, timeouts: boolean): AnyKysely {
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'test',
    max: 2,
    ...(timeouts ? { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT } : {}),
  })
  pool.on('error', () => {})
  return new Kysely({ dialect: new PostgresDialect({ pool }) })
}

function mysqlAt(port: number, connectTimeout: number): AnyKysely {
  const pool = createPool({
    host: '127.0.0.1',
    port,
    user: 'root',
    database: 'test',
    connectionLimit: 2,
    connectTimeout,
  })
  return new Kysely({ dialect: new MysqlDialect({ pool }) })
}

describe('outages fail closed and fast: a closed port', () => {
  it('postgres: ERR_STORAGE_UNAVAILABLE', async () => {
    const db = pgAt(1, true)
    try {
      await expectEveryCall(db, 'postgres', 'ERR_STORAGE_UNAVAILABLE')
      expect((await failureOf(migrate(db, { dialect: 'postgres' }))).code).toBe('ERR_STORAGE_UNAVAILABLE')
    } finally {
      await db.destroy()
    }
  })

  it('mysql: ERR_STORAGE_UNAVAILABLE', async () => {
    const db = mysqlAt(1, TIMEOUT)
    try {
      await expectEveryCall(db, 'mysql', 'ERR_STORAGE_UNAVAILABLE')
      expect((await failureOf(migrate(db, { dialect: 'mysql' }))).code).toBe('ERR_STORAGE_UNAVAILABLE')
    } finally {
      await db.destroy()
    }
  })
})

/**
 * Runs `fn` against a server on 127.0.0.1 that accepts connections and never answers. Afterwards
 * it stops accepting, drops every connection and lets the pool see that before `db.destroy()`
 * (mysql2's pool.end waits for connections still in their handshake).
 */
async function withSilentServer(open: (port: number) => AnyKysely, fn: (db: AnyKysely) => Promise<void>) {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const db = open((server.address() as { port: number }).port)
  try {
    await fn(db)
  } finally {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
    await new Promise((resolve) => setTimeout(resolve, 200))
    await db.destroy()
  }
}

describe('outages fail closed and fast: a server that accepts connections and never answers', () => {
  it('postgres with no pool timeouts at all: the store’s own deadline still ends every call', async () => {
    await withSilentServer(
      (port) => pgAt(port, false),
      (db) => expectEveryCall(db, 'postgres', 'ERR_STORAGE_UNAVAILABLE'),
    )
  })

  it('mysql with a long connect timeout: the store’s own deadline still ends every call', async () => {
    await withSilentServer(
      (port) => mysqlAt(port, 60_000),
      (db) => expectEveryCall(db, 'mysql', 'ERR_STORAGE_UNAVAILABLE'),
    )
  })
})

describe('sqlite failures', () => {
  it('a table that was never migrated: ERR_CONFIG_INVALID (not a retryable outage) that says to run migrate()', async () => {
    const sqlite = openSqlite()
    try {
      const store = createSqlStore({ db: sqlite.db, dialect: 'sqlite', table: 'never_migrated' })
      const error = await store.get('x').catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
      expect((error as Error).message).toMatch(/run migrate\(\)/)
    } finally {
      await sqlite.db.destroy()
      sqlite.remove()
    }
  })

  it('a file that is not a database: ERR_STORAGE_CORRUPT', async () => {
    const sqlite = openSqlite()
    await sqlite.db.destroy()
    writeFileSync(sqlite.file, Buffer.alloc(8192, 0x5a))
    const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(sqlite.file) }) })
    try {
      const store = createSqlStore({ db, dialect: 'sqlite' })
      expect((await failureOf(store.get('x'))).code).toBe('ERR_STORAGE_CORRUPT')
      expect((await failureOf(migrate(db, { dialect: 'sqlite' }))).code).toBe('ERR_STORAGE_CORRUPT')
    } finally {
      await db.destroy()
      sqlite.remove()
    }
  })
})
