import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FamilyStore } from '@auth/core'
import { createMemoryStore } from '@auth/storage-memory'
import { createRedisStore } from '@auth/storage-redis'
import { type AnyKysely, createSqlStore, MIGRATIONS_TABLE, migrate, type SqlDialect } from '@auth/storage-sql'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'

/** The drivers the benchmarks run, in the order the tables list them. */
export const STORE_KINDS = ['memory', 'sqlite', 'postgres', 'mysql', 'redis'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export const STORE_LABELS: Record<StoreKind, string> = {
  memory: 'memory',
  sqlite: 'SQLite (temp file, WAL)',
  postgres: 'PostgreSQL',
  mysql: 'MariaDB/MySQL',
  redis: 'Redis',
}

const URL_VARIABLES: Partial<Record<StoreKind, string>> = {
  postgres: 'DATABASE_URL',
  mysql: 'MYSQL_URL',
  redis: 'REDIS_URL',
}

/** Why a driver cannot run here (its URL variable is unset), or undefined when it can. */
export function skipReason(kind: StoreKind): string | undefined {
  const variable = URL_VARIABLES[kind]
  if (variable === undefined || process.env[variable]) return undefined
  return `${STORE_LABELS[kind]} skipped: ${variable} is not set`
}

/** A store opened for a benchmark, on its own table or key prefix, with its clean-up. */
export interface BenchStore {
  readonly kind: StoreKind
  readonly store: FamilyStore
  /** The bytes one family occupies as stored (JSON of the record, Redis MEMORY USAGE, the SQL row). */
  storedBytes(id: string): Promise<number>
  /** SQL drivers: the Kysely instance and the table (for bulk fills). */
  readonly sql?: { readonly db: AnyKysely; readonly table: string }
  /** Drops the table / keys / file this run created and closes connections. */
  close(): Promise<void>
}

/** A name no other run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`
}

export async function openStore(kind: StoreKind, options: { readonly poolSize?: number } = {}): Promise<BenchStore> {
  const poolSize = options.poolSize ?? 16
  switch (kind) {
    case 'memory': {
      const store = createMemoryStore()
      return {
        kind,
        store,
        async storedBytes(id) {
          const record = await store.get(id)
          return record ? Buffer.byteLength(JSON.stringify(record)) : 0
        },
        async close() {},
      }
    }
    case 'redis': {
      const prefix = uniqueName('bench')
      // BENCH_REDIS_AUTOPIPELINE=1: ioredis batches the commands of concurrent requests into one write.
      const client = new Redis(requireUrl('REDIS_URL'), {
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        enableAutoPipelining: process.env.BENCH_REDIS_AUTOPIPELINE === '1',
      })
      const store = createRedisStore({ client, prefix })
      return {
        kind,
        store,
        async storedBytes(id) {
          return Number((await client.memory('USAGE', store.familyKey(id), 'SAMPLES', 0)) ?? 0)
        },
        async close() {
          let cursor = '0'
          do {
            const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
            cursor = next
            if (keys.length > 0) await client.unlink(...keys)
          } while (cursor !== '0')
          await client.quit()
        },
      }
    }
    case 'sqlite':
    case 'postgres':
    case 'mysql': {
      const opened = openSql(kind, poolSize)
      const table = uniqueName('bench_fam')
      await migrate(opened.db, { dialect: kind, table })
      const store = createSqlStore({ db: opened.db, dialect: kind, table })
      return {
        kind,
        store,
        sql: { db: opened.db, table },
        storedBytes: (id) => sqlRowBytes(opened.db, kind, table, id),
        async close() {
          await opened.db.schema.dropTable(table).ifExists().execute()
          await opened.db.deleteFrom(MIGRATIONS_TABLE).where('table_name', '=', table).execute()
          await opened.db.destroy()
          opened.remove()
        },
      }
    }
    default: {
      const _never: never = kind
      throw new Error(`unknown store ${String(_never)}`)
    }
  }
}

function requireUrl(variable: string): string {
  const url = process.env[variable]
  if (!url) throw new Error(`${variable} is not set`)
  return url
}

function openSql(dialect: SqlDialect, poolSize: number): { db: AnyKysely; remove: () => void } {
  switch (dialect) {
    case 'postgres': {
      const pool = new pg.Pool({
        connectionString: requireUrl('DATABASE_URL'),
        max: poolSize,
        connectionTimeoutMillis: 5000,
      })
      return { db: new Kysely({ dialect: new PostgresDialect({ pool }) }), remove: () => {} }
    }
    case 'mysql': {
      const pool = createPool({ uri: requireUrl('MYSQL_URL'), connectionLimit: poolSize, connectTimeout: 5000 })
      return { db: new Kysely({ dialect: new MysqlDialect({ pool }) }), remove: () => {} }
    }
    case 'sqlite': {
      const file = join(tmpdir(), `auth-bench-${randomBytes(5).toString('hex')}.sqlite`)
      const database = new Database(file)
      database.pragma('journal_mode = WAL')
      return {
        db: new Kysely({ dialect: new SqliteDialect({ database }) }),
        remove: () => {
          for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
        },
      }
    }
    default: {
      const _never: never = dialect
      throw new Error(`unknown dialect ${String(_never)}`)
    }
  }
}

/** The stored size of one row: the database's own measure where it has one. */
async function sqlRowBytes(db: AnyKysely, dialect: SqlDialect, table: string, id: string): Promise<number> {
  switch (dialect) {
    case 'postgres': {
      const r = await sql<{
        n: number
      }>`SELECT pg_column_size(t.*)::int AS n FROM ${sql.table(table)} t WHERE id = ${id}`.execute(db)
      return Number(r.rows[0]?.n ?? 0)
    }
    case 'mysql': {
      // No per-row size in MySQL/MariaDB: sum the stored length of every column.
      const r = await sql<{
        n: number
      }>`SELECT ${sql.raw(rowLengthSum('mysql'))} AS n FROM ${sql.table(table)} WHERE id = ${id}`.execute(db)
      return Number(r.rows[0]?.n ?? 0)
    }
    case 'sqlite': {
      const r = await sql<{
        n: number
      }>`SELECT ${sql.raw(rowLengthSum('sqlite'))} AS n FROM ${sql.table(table)} WHERE id = ${id}`.execute(db)
      return Number(r.rows[0]?.n ?? 0)
    }
    default: {
      const _never: never = dialect
      throw new Error(`unknown dialect ${String(_never)}`)
    }
  }
}

const TEXT_COLUMNS = ['id', 'subject', 'status', 'revocation_reason', 'rotated_binding', 'nonce', 'meta']
const INTEGER_COLUMNS = [
  'generation',
  'revoked_at',
  'created_at',
  'auth_time',
  'last_used_at',
  'rotated_at',
  'expires_at',
  'idle_expires_at',
  'version',
]

/**
 * MySQL/MariaDB and SQLite have no per-row size: sum the bytes of the text columns (LENGTH is
 * bytes there; ours are ASCII) and 8 per non-null integer. Row headers and indexes not included.
 */
function rowLengthSum(dialect: 'mysql' | 'sqlite'): string {
  void dialect
  return [
    ...TEXT_COLUMNS.map((c) => `COALESCE(LENGTH(${c}), 0)`),
    ...INTEGER_COLUMNS.map((c) => `(CASE WHEN ${c} IS NULL THEN 0 ELSE 8 END)`),
  ].join(' + ')
}

/** The server's version string, for the machine note. */
export async function serverVersion(kind: StoreKind): Promise<string | undefined> {
  if (skipReason(kind)) return undefined
  switch (kind) {
    case 'memory':
      return undefined
    case 'sqlite': {
      const memory = new Database(':memory:')
      const row = memory.prepare('select sqlite_version() as v').get() as { v: string }
      memory.close()
      return `SQLite ${row.v} (better-sqlite3)`
    }
    case 'redis': {
      const client = new Redis(requireUrl('REDIS_URL'), { maxRetriesPerRequest: 1 })
      try {
        const info = await client.info('server')
        return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`
      } finally {
        await client.quit()
      }
    }
    case 'postgres':
    case 'mysql': {
      const { db } = openSql(kind, 1)
      try {
        const r = await sql<{ v: string }>`SELECT VERSION() AS v`.execute(db)
        const v = String(r.rows[0]?.v ?? '?')
        return kind === 'postgres' ? (/^PostgreSQL \S+/.exec(v)?.[0] ?? v) : `MariaDB/MySQL ${v}`
      } finally {
        await db.destroy()
      }
    }
    default: {
      const _never: never = kind
      throw new Error(`unknown store ${String(_never)}`)
    }
  }
}
