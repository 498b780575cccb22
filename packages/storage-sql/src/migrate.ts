import { createHash } from 'node:crypto'
import { AuthError, assertKnownOptions } from '@auth/core'
import type { RawBuilder } from 'kysely'
import { sql } from 'kysely'
import type { AnyKysely, ResolvedTable, SqlDialect, TableOptions } from './config.js'
import { assertKysely, resolveTable } from './config.js'
import { isMissingTable, toStorageError } from './errors.js'

/** Options of {@link migrate}. */
export interface MigrateOptions extends TableOptions {
  /**
   * How long to wait for another process's migration to finish, in milliseconds. Default 60000.
   * (PostgreSQL `lock_timeout`, MySQL `GET_LOCK` timeout, SQLite `BEGIN IMMEDIATE` retries.)
   */
  readonly lockTimeoutMs?: number
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The versions this call applied, in order (empty when the table was already current). */
  readonly applied: readonly number[]
  /** The schema version the table is at now: {@link SCHEMA_VERSION}. */
  readonly version: number
}

/**
 * The name of the table that records applied versions, beside the families table (in the same
 * schema on PostgreSQL). One row per (families table, version), so several families tables can
 * share a database.
 */
export const MIGRATIONS_TABLE = 'auth_storage_migrations'

interface Names {
  readonly dialect: SqlDialect
  /** The families table, schema-qualified and quoted. */
  readonly families: RawBuilder<unknown>
  /** The migrations table, schema-qualified and quoted. */
  readonly migrations: RawBuilder<unknown>
  readonly bySubject: RawBuilder<unknown>
  readonly byIdleExpiry: RawBuilder<unknown>
  /** The families table's own name and schema, unquoted (for catalogue look-ups). */
  readonly table: ResolvedTable
}

/** The columns migration 2 adds, with each dialect's type: the login claims, the named policy, the client, the DPoP key. */
const SCHEMA_2_COLUMNS: readonly {
  readonly name: string
  readonly postgres: string
  readonly mysql: string
  readonly sqlite: string
}[] = [
  // MySQL 8 takes a TEXT default only as an expression, in parentheses; MariaDB accepts that too.
  {
    name: 'claims',
    postgres: "text NOT NULL DEFAULT '{}'",
    mysql: "mediumtext NOT NULL DEFAULT ('{}')",
    sqlite: "TEXT NOT NULL DEFAULT '{}'",
  },
  { name: 'policy', postgres: 'varchar(64)', mysql: 'varchar(64) NULL', sqlite: 'TEXT' },
  { name: 'client_id', postgres: 'varchar(255)', mysql: 'varchar(255) NULL', sqlite: 'TEXT' },
  { name: 'jkt', postgres: 'varchar(128)', mysql: 'varchar(128) NULL', sqlite: 'TEXT' },
]

/**
 * Whether the families table already has `column`. MySQL 8 and SQLite have no
 * `ADD COLUMN IF NOT EXISTS`, so migration 2 looks first (a rerun after a crash mid-way then
 * adds only what is missing).
 */
async function hasColumn(db: AnyKysely, { dialect, table }: Names, column: string): Promise<boolean> {
  switch (dialect) {
    case 'postgres':
      return true // not needed: PostgreSQL has ADD COLUMN IF NOT EXISTS
    case 'mysql': {
      const found = await sql`
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = ${table.table} AND column_name = ${column}`.execute(db)
      return found.rows.length > 0
    }
    case 'sqlite': {
      const found = await sql<{ name: unknown }>`SELECT name FROM pragma_table_info(${table.table})`.execute(db)
      return found.rows.some((row) => row.name === column)
    }
    default: {
      const _never: never = dialect
      return _never
    }
  }
}

interface Migration {
  readonly version: number
  readonly name: string
  /** Runs inside the migration lock. Every statement is idempotent, so a crash mid-way is repaired by a rerun. */
  up(db: AnyKysely, names: Names): Promise<void>
}

/**
 * The migrations, in order. Never edit one that has shipped: add the next version.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create the families table',
    async up(db, { dialect, families, bySubject, byIdleExpiry }) {
      switch (dialect) {
        case 'postgres':
          await sql`
            CREATE TABLE IF NOT EXISTS ${families} (
              id varchar(255) NOT NULL PRIMARY KEY,
              subject varchar(255) NOT NULL,
              generation bigint NOT NULL,
              status varchar(16) NOT NULL,
              revocation_reason varchar(32),
              revoked_at bigint,
              created_at bigint NOT NULL,
              auth_time bigint NOT NULL,
              last_used_at bigint NOT NULL,
              rotated_at bigint,
              rotated_binding text,
              expires_at bigint NOT NULL,
              idle_expires_at bigint NOT NULL,
              version bigint NOT NULL,
              nonce varchar(255) NOT NULL,
              meta text NOT NULL
            )`.execute(db)
          await sql`CREATE INDEX IF NOT EXISTS ${bySubject} ON ${families} (subject)`.execute(db)
          await sql`CREATE INDEX IF NOT EXISTS ${byIdleExpiry} ON ${families} (idle_expires_at)`.execute(db)
          return
        case 'mysql':
          // One statement (MySQL DDL is not transactional), InnoDB for row locks, and binary
          // collations: ids and subjects that differ only in case are different families.
          await sql`
            CREATE TABLE IF NOT EXISTS ${families} (
              id varchar(255) NOT NULL,
              subject varchar(255) NOT NULL,
              generation bigint NOT NULL,
              status varchar(16) NOT NULL,
              revocation_reason varchar(32) NULL,
              revoked_at bigint NULL,
              created_at bigint NOT NULL,
              auth_time bigint NOT NULL,
              last_used_at bigint NOT NULL,
              rotated_at bigint NULL,
              rotated_binding text NULL,
              expires_at bigint NOT NULL,
              idle_expires_at bigint NOT NULL,
              version bigint NOT NULL,
              nonce varchar(255) NOT NULL,
              meta mediumtext NOT NULL,
              PRIMARY KEY (id),
              KEY ${bySubject} (subject),
              KEY ${byIdleExpiry} (idle_expires_at)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db)
          return
        case 'sqlite':
          await sql`
            CREATE TABLE IF NOT EXISTS ${families} (
              id TEXT NOT NULL PRIMARY KEY,
              subject TEXT NOT NULL,
              generation INTEGER NOT NULL,
              status TEXT NOT NULL,
              revocation_reason TEXT,
              revoked_at INTEGER,
              created_at INTEGER NOT NULL,
              auth_time INTEGER NOT NULL,
              last_used_at INTEGER NOT NULL,
              rotated_at INTEGER,
              rotated_binding TEXT,
              expires_at INTEGER NOT NULL,
              idle_expires_at INTEGER NOT NULL,
              version INTEGER NOT NULL,
              nonce TEXT NOT NULL,
              meta TEXT NOT NULL
            )`.execute(db)
          await sql`CREATE INDEX IF NOT EXISTS ${bySubject} ON ${families} (subject)`.execute(db)
          await sql`CREATE INDEX IF NOT EXISTS ${byIdleExpiry} ON ${families} (idle_expires_at)`.execute(db)
          return
        default: {
          const _never: never = dialect
          return _never
        }
      }
    },
  },
  {
    version: 2,
    name: 'add claims, policy, client_id and jkt',
    async up(db, names) {
      const { dialect, families } = names
      for (const column of SCHEMA_2_COLUMNS) {
        const type = sql.raw(column[dialect])
        if (dialect === 'postgres') {
          await sql`ALTER TABLE ${families} ADD COLUMN IF NOT EXISTS ${sql.id(column.name)} ${type}`.execute(db)
        } else if (!(await hasColumn(db, names, column.name))) {
          await sql`ALTER TABLE ${families} ADD COLUMN ${sql.id(column.name)} ${type}`.execute(db)
        }
      }
    },
  },
]

/** The schema version this package's code reads and writes. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Creates or upgrades the families table to {@link SCHEMA_VERSION}. Call it at deploy time (or
 * at start-up): it is idempotent, and safe to run from several processes at once. They queue on
 * a lock, and the first applies what is missing; the others find nothing left to do.
 *
 * - PostgreSQL: one transaction (DDL is transactional) under `pg_advisory_xact_lock`. It also
 *   creates the schema when `schema` names one that does not exist.
 * - MySQL/MariaDB: one connection holding `GET_LOCK`; each step is a single idempotent statement.
 * - SQLite: one `BEGIN IMMEDIATE` transaction (SQLite's single writer is the lock).
 *
 * Applied versions are recorded in {@link MIGRATIONS_TABLE}. A table at a newer version than
 * this code knows is refused with `ERR_CONFIG_INVALID` (downgrade the code, not the data).
 * Database failures throw `ERR_STORAGE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * await migrate(db, { dialect: 'sqlite' }) // { applied: [1, 2], version: 2 } the first time
 * ```
 */
export async function migrate(db: AnyKysely, options: MigrateOptions): Promise<MigrateResult> {
  const where = 'migrate'
  assertKnownOptions(where, options, ['dialect', 'table', 'schema', 'lockTimeoutMs'])
  assertKysely(where, db)
  const table = resolveTable(where, options)
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000
  if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 1) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: lockTimeoutMs must be a positive integer`)
  }
  const names = namesOf(table)
  try {
    switch (table.dialect) {
      case 'postgres':
        return await db.transaction().execute(async (trx) => {
          await sql`SELECT set_config('lock_timeout', ${String(lockTimeoutMs)}, true)`.execute(trx)
          await sql`SELECT pg_advisory_xact_lock(${lockKey(table)}::bigint)`.execute(trx)
          if (table.schema !== undefined) {
            const found = await sql`SELECT 1 FROM pg_namespace WHERE nspname = ${table.schema}`.execute(trx)
            if (found.rows.length === 0) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(table.schema)}`.execute(trx)
          }
          return await applyPending(trx, table, names)
        })
      case 'mysql':
        return await db.connection().execute(async (conn) => {
          const lock = `auth-storage-sql:${lockKey(table)}`
          const seconds = Math.max(1, Math.ceil(lockTimeoutMs / 1000))
          const got = await sql<{ got: unknown }>`SELECT GET_LOCK(${lock}, ${seconds}) AS got`.execute(conn)
          if (Number(got.rows[0]?.got) !== 1) {
            throw new AuthError(
              'ERR_STORAGE_UNAVAILABLE',
              `storage-sql: migrate on ${table.label}: another migration held the lock for ${seconds} s`,
            )
          }
          try {
            return await applyPending(conn, table, names)
          } finally {
            await sql`SELECT RELEASE_LOCK(${lock})`.execute(conn)
          }
        })
      case 'sqlite':
        return await db.connection().execute(async (conn) => {
          await beginImmediate(conn, lockTimeoutMs)
          try {
            const result = await applyPending(conn, table, names)
            await sql`COMMIT`.execute(conn)
            return result
          } catch (error) {
            await sql`ROLLBACK`.execute(conn)
            throw error
          }
        })
      default: {
        const _never: never = table.dialect
        return _never
      }
    }
  } catch (error) {
    throw toStorageError('migrate', table.label, error)
  }
}

/**
 * The schema version `table` is at: the newest applied migration, 0 when none (the migrations
 * table or its row does not exist).
 */
export async function appliedSchemaVersion(db: AnyKysely, table: ResolvedTable): Promise<number> {
  const names = namesOf(table)
  try {
    const rows = await sql<{ version: unknown }>`
      SELECT version FROM ${names.migrations} WHERE table_name = ${table.table}`.execute(db)
    return Math.max(0, ...rows.rows.map((row) => Number(row.version)))
  } catch (error) {
    if (error instanceof Error && isMissingTable(error)) return 0
    throw error
  }
}

/**
 * `BEGIN IMMEDIATE`, retried without blocking. better-sqlite3 is synchronous: its busy timeout
 * would freeze the event loop, and with it a second connection of this same process that holds
 * the lock and needs the loop to commit. So the wait happens here, between attempts.
 */
async function beginImmediate(conn: AnyKysely, lockTimeoutMs: number): Promise<void> {
  const before = await sql<{ timeout: unknown }>`PRAGMA busy_timeout`.execute(conn)
  const restore = Number(before.rows[0]?.timeout ?? 0)
  await sql.raw('PRAGMA busy_timeout = 0').execute(conn)
  try {
    const deadline = Date.now() + lockTimeoutMs
    for (;;) {
      try {
        await sql`BEGIN IMMEDIATE`.execute(conn)
        return
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  } finally {
    await sql.raw(`PRAGMA busy_timeout = ${Number.isSafeInteger(restore) ? restore : 0}`).execute(conn)
  }
}

/** Inside the lock: reads the applied versions and applies the missing ones, in order. */
async function applyPending(db: AnyKysely, table: ResolvedTable, names: Names): Promise<MigrateResult> {
  await createMigrationsTable(db, names)
  const rows = await sql<{ version: unknown }>`
    SELECT version FROM ${names.migrations} WHERE table_name = ${table.table}`.execute(db)
  const done = new Set(rows.rows.map((row) => Number(row.version)))
  const newest = Math.max(0, ...done)
  if (newest > SCHEMA_VERSION) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `migrate: ${table.label} is at schema version ${newest}, newer than this @auth/storage-sql (${SCHEMA_VERSION})`,
    )
  }
  const applied: number[] = []
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue
    await migration.up(db, names)
    await sql`
      INSERT INTO ${names.migrations} (table_name, version, name, applied_at)
      VALUES (${table.table}, ${migration.version}, ${migration.name}, ${Date.now()})`.execute(db)
    applied.push(migration.version)
  }
  return { applied, version: SCHEMA_VERSION }
}

async function createMigrationsTable(db: AnyKysely, { dialect, migrations }: Names): Promise<void> {
  const suffix = dialect === 'mysql' ? sql.raw(' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin') : sql``
  const bigint = dialect === 'sqlite' ? sql.raw('INTEGER') : sql.raw('bigint')
  await sql`
    CREATE TABLE IF NOT EXISTS ${migrations} (
      table_name varchar(64) NOT NULL,
      version integer NOT NULL,
      name varchar(255) NOT NULL,
      applied_at ${bigint} NOT NULL,
      PRIMARY KEY (table_name, version)
    )${suffix}`.execute(db)
}

function namesOf(table: ResolvedTable): Names {
  const qualified = (name: string) => (table.schema === undefined ? sql.id(name) : sql.id(table.schema, name))
  return {
    dialect: table.dialect,
    families: qualified(table.table),
    migrations: qualified(MIGRATIONS_TABLE),
    // Index names live in the schema on PostgreSQL and SQLite, so they carry the table's name;
    // on PostgreSQL an index is created in its table's schema, so they are never qualified.
    bySubject: sql.id(`${table.table}_by_subject`),
    byIdleExpiry: sql.id(`${table.table}_by_idle_expiry`),
    table,
  }
}

/** A stable 64-bit lock id for one families table (signed, as `pg_advisory_xact_lock` wants). */
function lockKey(table: ResolvedTable): string {
  const digest = createHash('sha256').update(`@auth/storage-sql:${table.label}`).digest()
  return digest.readBigInt64BE(0).toString()
}
