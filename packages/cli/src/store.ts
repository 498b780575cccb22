// The store, the engine and the revocation feed a command works on: from a config module that
// exports the app's engine options, or from a store URL (AUTH_STORE_URL). Drivers are optional
// peer dependencies, imported only when a URL names them, so `auth keys generate` loads none.
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type AuthEvent,
  createEngine,
  type Engine,
  type EngineOptions,
  type FamilyStore,
  type RevocationFeed,
} from '@auth/core'
import { type Io, UsageError } from './io.js'

/** What a command opened; `close()` ends every connection it made. */
export interface Opened {
  readonly store: FamilyStore
  /** `migrate` for SQL stores (null for others: nothing to migrate). */
  readonly migrate: (() => Promise<unknown>) | null
  readonly describe: string
  close(): Promise<void>
}

export interface Target {
  readonly store?: string | undefined
  readonly config?: string | undefined
  /** SQL stores: the families table (default the driver's, `auth_families`). */
  readonly table?: string | undefined
  /** Redis stores: the key prefix (default the driver's, `auth`). */
  readonly prefix?: string | undefined
}

/** The names a store URL's driver gets from `--table` / `--prefix`. */
export interface StoreNames {
  readonly table?: string | undefined
  readonly prefix?: string | undefined
}

/** What a config module exports: the app's engine options (default export or `engineOptions`), and its feed. */
interface ConfigModule {
  readonly default?: EngineOptions
  readonly engineOptions?: EngineOptions
  readonly revocationFeed?: RevocationFeed
  /** What `auth migrate` runs with a config module (for SQL: `() => migrate(db, { dialect })`). */
  readonly migrate?: () => Promise<unknown>
}

async function importDriver<T>(name: string, why: string): Promise<T> {
  try {
    return (await import(name)) as T
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new UsageError(`${why} needs ${name}: npm install ${name}`)
    }
    throw error
  }
}

/** The config module's exports, or null without `--config` / AUTH_CONFIG. */
export async function loadConfig(io: Io, target: Target): Promise<ConfigModule | null> {
  const path = target.config ?? io.env.AUTH_CONFIG
  if (path === undefined || path === '') return null
  let loaded: ConfigModule
  try {
    loaded = (await import(pathToFileURL(resolve(io.cwd, path)).href)) as ConfigModule
  } catch (error) {
    throw new UsageError(`--config ${path}: cannot import it (${(error as Error).message})`)
  }
  if ((loaded.engineOptions ?? loaded.default)?.store === undefined) {
    throw new UsageError(`--config ${path}: export the engine options (with their store) as default or engineOptions`)
  }
  return loaded
}

/** Opens the store a URL names: `redis://`, `rediss://`, `postgres://`, `mysql://`, `sqlite:PATH`. */
export async function openStoreUrl(url: string, names: StoreNames = {}): Promise<Opened> {
  const table = names.table === undefined ? {} : { table: names.table }
  const scheme = /^([a-z]+):/.exec(url)?.[1]
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      const { createRedisStore } = await importDriver<typeof import('@auth/storage-redis')>(
        '@auth/storage-redis',
        'a redis:// store',
      )
      const store = createRedisStore({ url, ...(names.prefix === undefined ? {} : { prefix: names.prefix }) })
      return { store, migrate: null, describe: 'redis', close: () => store.close() }
    }
    case 'postgres':
    case 'postgresql': {
      const sqlStore = await importDriver<typeof import('@auth/storage-sql')>(
        '@auth/storage-sql',
        'a postgres:// store',
      )
      const { Kysely, PostgresDialect } = await importDriver<typeof import('kysely')>('kysely', 'a postgres:// store')
      const pg = (await importDriver<{ default: typeof import('pg') }>('pg', 'a postgres:// store')).default
      const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 3000 })
      pool.on('error', () => {})
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
      return sqlOpened(sqlStore, db, 'postgres', table)
    }
    case 'mysql':
    case 'mariadb': {
      const sqlStore = await importDriver<typeof import('@auth/storage-sql')>('@auth/storage-sql', 'a mysql:// store')
      const { Kysely, MysqlDialect } = await importDriver<typeof import('kysely')>('kysely', 'a mysql:// store')
      const mysql = await importDriver<typeof import('mysql2')>('mysql2', 'a mysql:// store')
      const pool = mysql.createPool({
        uri: url.replace(/^mariadb:/, 'mysql:'),
        connectionLimit: 2,
        connectTimeout: 3000,
      })
      const db = new Kysely<unknown>({ dialect: new MysqlDialect({ pool }) })
      return sqlOpened(sqlStore, db, 'mysql', table)
    }
    case 'sqlite': {
      const sqlStore = await importDriver<typeof import('@auth/storage-sql')>('@auth/storage-sql', 'a sqlite: store')
      const { Kysely, SqliteDialect } = await importDriver<typeof import('kysely')>('kysely', 'a sqlite: store')
      const Database = (
        await importDriver<{ default: typeof import('better-sqlite3') }>('better-sqlite3', 'a sqlite: store')
      ).default
      const path = url.replace(/^sqlite:(\/\/)?/, '')
      if (path === '') throw new UsageError('sqlite: name the database file, as sqlite:./auth.db')
      const database = new Database(path)
      const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) })
      return sqlOpened(sqlStore, db, 'sqlite', table)
    }
    default:
      throw new UsageError(
        `the store URL must start with redis://, rediss://, postgres://, mysql:// or sqlite: (got ${JSON.stringify(url.split(':')[0])})`,
      )
  }
}

/** A SQL store on `db` (the command's own Kysely instance, destroyed on close). */
function sqlOpened(
  sqlStore: typeof import('@auth/storage-sql'),
  db: import('kysely').Kysely<unknown>,
  dialect: 'postgres' | 'mysql' | 'sqlite',
  table: { readonly table?: string },
): Opened {
  return {
    store: sqlStore.createSqlStore({ db, dialect, ...table }),
    migrate: () => sqlStore.migrate(db, { dialect, ...table }),
    describe: dialect,
    close: () => db.destroy(),
  }
}

/** The store URL: `--store`, else AUTH_STORE_URL. */
export function storeUrl(io: Io, target: Target): string | undefined {
  const url = target.store ?? io.env.AUTH_STORE_URL
  return url === '' ? undefined : url
}

/** Opens a feed a URL names: `redis://` or `postgres://` (the two feeds the library has). */
export async function openFeedUrl(url: string): Promise<RevocationFeed & { close(): Promise<void> }> {
  const scheme = /^([a-z]+):/.exec(url)?.[1]
  if (scheme === 'redis' || scheme === 'rediss') {
    const { createRedisRevocationFeed } = await importDriver<typeof import('@auth/storage-redis')>(
      '@auth/storage-redis',
      'a redis:// feed',
    )
    return createRedisRevocationFeed({ url })
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { createPostgresRevocationFeed } = await importDriver<typeof import('@auth/storage-sql')>(
      '@auth/storage-sql',
      'a postgres:// feed',
    )
    const feed = createPostgresRevocationFeed({ connectionString: url })
    await feed.migrate()
    return feed
  }
  throw new UsageError(
    'the feed URL must start with redis://, rediss:// or postgres:// (the revocation feeds there are)',
  )
}

/**
 * An engine for a command: the config module's (its options, its store, its policies), or one on
 * the URL's store with a throwaway key (listing, revoking and checking the store use no key).
 * `onEvent` sees every event (the revoke command publishes from it).
 */
export async function openEngine(
  io: Io,
  target: Target,
  onEvent?: (event: AuthEvent) => void,
): Promise<{ engine: Engine; opened: Opened; config: ConfigModule | null }> {
  const config = await loadConfig(io, target)
  if (config !== null) {
    const options = (config.engineOptions ?? config.default) as EngineOptions
    const { revocations: _revocations, onEvent: appOnEvent, ...rest } = options
    const engine = createEngine({
      ...rest,
      onEvent: (event) => {
        onEvent?.(event)
        appOnEvent?.(event)
      },
    })
    const store = options.store as FamilyStore & { close?: () => Promise<void> }
    return {
      engine,
      config,
      opened: {
        store,
        migrate: config.migrate ?? null,
        describe: 'config',
        // The command's process ends after it: what the module opened must close, or it stays alive.
        async close() {
          await store.close?.()
          await (config.revocationFeed as { close?: () => Promise<void> } | undefined)?.close?.()
        },
      },
    }
  }
  const url = storeUrl(io, target)
  if (url === undefined) {
    throw new UsageError(
      'name the store: --store URL (or AUTH_STORE_URL), or --config FILE exporting the engine options',
    )
  }
  const opened = await openStoreUrl(url, target)
  const engine = createEngine({
    store: opened.store,
    issuer: 'urn:auth-cli',
    audience: 'auth-cli',
    secret: randomBytes(32),
    ...(onEvent === undefined ? {} : { onEvent }),
  })
  return { engine, opened, config: null }
}
