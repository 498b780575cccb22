import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type FamilyStore, isAuthError } from '@auth/core'
import { createMemoryStore } from '@auth/storage-memory'
import { createRedisStore } from '@auth/storage-redis'
import { createSqlStore, migrate } from '@auth/storage-sql'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'

/** The stores the examples can run on. */
export const STORE_KINDS = ['sqlite', 'memory', 'redis', 'postgres'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

/** An open store, described for people, with the one call that releases it. */
export interface OpenedStore {
  readonly kind: StoreKind
  readonly store: FamilyStore
  /** e.g. `SQLite examples/demo/.data/auth.sqlite (created, migrated to schema v1)`. */
  readonly description: string
  /** Closes the store and its connections. */
  close(): Promise<void>
}

/** Where each kind of store lives. */
export interface OpenStoreOptions {
  /** SQLite: the folder of `auth.sqlite` (created on first run). */
  readonly dataDir: string
  /** Redis: default `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly redisUrl?: string
  /** PostgreSQL: default `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`. */
  readonly databaseUrl?: string
}

/** The examples keep their families apart from anything else in a shared Redis or PostgreSQL. */
const TABLE = 'example_auth_families'
const REDIS_PREFIX = 'example-auth'

/** Whether `value` names a store kind. */
export function isStoreKind(value: string): value is StoreKind {
  return (STORE_KINDS as readonly string[]).includes(value)
}

/**
 * Opens (and for SQL, migrates) one of the example stores. A server that does not answer
 * fails within a few seconds with an `Error` saying which URL was tried.
 */
export async function openStore(kind: StoreKind, options: OpenStoreOptions): Promise<OpenedStore> {
  switch (kind) {
    case 'memory':
      return {
        kind,
        store: createMemoryStore(),
        description: 'memory (gone when the process exits)',
        close: async () => {},
      }
    case 'sqlite':
      return openSqlite(options.dataDir)
    case 'redis':
      return openRedis(options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    case 'postgres':
      return openPostgres(
        options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      )
    default: {
      const _never: never = kind
      throw new Error(`unknown store ${String(_never)}`)
    }
  }
}

async function openSqlite(dataDir: string): Promise<OpenedStore> {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'auth.sqlite')
  const existed = existsSync(file)
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  const db = new Kysely({ dialect: new SqliteDialect({ database }) })
  try {
    const { applied, version } = await migrate(db, { dialect: 'sqlite', table: TABLE })
    const what = applied.length > 0 ? `migrated to schema v${version}` : `schema v${version}, already migrated`
    return {
      kind: 'sqlite',
      store: createSqlStore({ db, dialect: 'sqlite', table: TABLE }),
      description: `SQLite ${file} (${existed ? 'reused' : 'created'}, ${what})`,
      close: () => db.destroy(),
    }
  } catch (error) {
    await db.destroy()
    throw error
  }
}

async function openRedis(url: string): Promise<OpenedStore> {
  const store = createRedisStore({ url, prefix: REDIS_PREFIX })
  await probe(store, `Redis at ${redact(url)}`, () => store.close())
  return {
    kind: 'redis',
    store,
    description: `Redis ${redact(url)} (keys ${REDIS_PREFIX}:*)`,
    close: () => store.close(),
  }
}

async function openPostgres(url: string): Promise<OpenedStore> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 2000, max: 4 })
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) })
  try {
    const { applied, version } = await migrate(db, { dialect: 'postgres', table: TABLE })
    const what = applied.length > 0 ? `migrated to schema v${version}` : `schema v${version}`
    return {
      kind: 'postgres',
      store: createSqlStore({ db, dialect: 'postgres', table: TABLE }),
      description: `PostgreSQL ${redact(url)} (table ${TABLE}, ${what})`,
      close: () => db.destroy(),
    }
  } catch (error) {
    await db.destroy()
    throw unreachable(`PostgreSQL at ${redact(url)}`, error)
  }
}

/** One harmless read, so an absent server is reported now rather than at the first login. */
async function probe(store: FamilyStore, what: string, close: () => Promise<void>): Promise<void> {
  try {
    await store.get('example-probe')
  } catch (error) {
    await close().catch(() => {})
    throw unreachable(what, error)
  }
}

function unreachable(what: string, error: unknown): Error {
  const reason = isAuthError(error) ? error.message : String(error)
  return new Error(`cannot use ${what}: ${reason}`)
}

/** A URL without its password, for printing. */
function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}
