import type { CompareAndSetResult, CreateResult, FamilyRecord, FamilyStore, PageRequest, SubjectPage } from '@auth/core'
import { AuthError, assertKnownOptions } from '@auth/core'
import { sql } from 'kysely'
import type { AnyKysely, TableOptions } from './config.js'
import { assertKysely, DEFAULT_TABLE, resolveTable, scoped } from './config.js'
import { isDuplicateKey, isSerializationFailure, toStorageError } from './errors.js'
import { appliedSchemaVersion, SCHEMA_VERSION } from './migrate.js'
import { decodeRow, encodeRow, FAMILY_COLUMNS, isStorableKey } from './row.js'

/** Options of {@link createSqlStore}. */
export interface SqlStoreOptions extends TableOptions {
  /**
   * Your Kysely instance (PostgresDialect on a `pg` Pool, MysqlDialect on a `mysql2` pool, or
   * SqliteDialect on a `better-sqlite3` database). It stays yours: the store never destroys it.
   */
  readonly db: AnyKysely
  /**
   * Deadline of every store call in milliseconds, from asking the pool for a connection to the
   * last row. When it passes, the call throws `ERR_STORAGE_UNAVAILABLE` and stops waiting (the
   * query itself may still finish on the server: each write is one atomic statement, so the
   * family is then either before or after it, never in between). Default 5000.
   */
  readonly timeoutMs?: number
}

/** The SQL driver: a {@link FamilyStore} with a purge and a no-op close. */
export interface SqlStore extends FamilyStore {
  /**
   * Deletes every family whose `idleExpiresAt` is at or before `now`, `batchSize` rows per
   * statement (default 1000), one short statement after another until a batch comes back
   * short. Returns how many were deleted. Run it on a schedule (see docs/storage/sql.md).
   */
  purgeExpired(now: number, options?: { batchSize?: number }): Promise<number>
  /**
   * The start-up check: the table is at this package's schema version. Not migrated (or not
   * since an upgrade) throws `ERR_CONFIG_INVALID` saying to run `migrate()`; an unreachable
   * database `ERR_STORAGE_UNAVAILABLE`.
   */
  check(): Promise<void>
  /** The database's clock, epoch milliseconds: an engine on the system clock decides in it. */
  now(): Promise<number>
  /** Does nothing: the Kysely instance and its pool belong to you; call `db.destroy()` yourself. */
  close(): Promise<void>
}

const DEFAULT_TIMEOUT_MS = 5000
const DEFAULT_BATCH_SIZE = 1000

/** Every column but `id` and `subject`: what a compare-and-set rewrites. */
const MUTABLE = FAMILY_COLUMNS.filter(
  (column): column is Exclude<(typeof FAMILY_COLUMNS)[number], 'id' | 'subject'> =>
    column !== 'id' && column !== 'subject',
)

/**
 * Creates a family store on an SQL table that {@link migrate} created.
 *
 * - `create` is one `INSERT` (a duplicate primary key is `{ ok: false, reason: 'exists' }`), then one
 *   indexed `COUNT` of the subject's active rows: the `families` the engine compares with its cap.
 * - `listBySubject` pages the subject's active rows by id (keyset paging); a revoked row has left it.
 * - `compareAndSet` is one conditional `UPDATE … WHERE id = ? AND subject = ? AND version = ?`:
 *   the database decides atomically, and exactly one of any number of concurrent writers of one
 *   version matches the row. Only when no row matched does a second `SELECT` tell `conflict`
 *   from `not_found`. On MySQL/MariaDB the count used is mysql2's `affectedRows`, which with its
 *   default `FOUND_ROWS` flag counts matched rows; without that flag it counts changed rows,
 *   which is the same here because every successful write changes `version`.
 * - Expired rows stay readable until {@link SqlStore.purgeExpired} deletes them (the engine
 *   refuses an expired family either way).
 * - Outages throw `ERR_STORAGE_UNAVAILABLE`, undecodable rows `ERR_STORAGE_CORRUPT`.
 *
 * @example
 * ```ts
 * import { Kysely, PostgresDialect } from 'kysely'
 * import pg from 'pg'
 * import { createSqlStore, migrate } from '@auth/storage-sql'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 })
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
 * await migrate(db, { dialect: 'postgres' })
 * const store = createSqlStore({ db, dialect: 'postgres' })
 * ```
 */
export function createSqlStore(options: SqlStoreOptions): SqlStore {
  const where = 'createSqlStore'
  assertKnownOptions(where, options, ['db', 'dialect', 'table', 'schema', 'timeoutMs'], {
    kysely: 'db',
    tableName: 'table',
  })
  assertKysely(where, options?.db)
  const table = resolveTable(where, options)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: timeoutMs must be a positive integer`)
  }
  const db = scoped(options.db, table)
  const name = table.table
  const { dialect, label } = table

  /** Runs one store operation under its deadline; every failure leaves as an AuthError. */
  const run = async <T>(operation: string, body: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await body(AbortSignal.timeout(timeoutMs))
    } catch (error) {
      throw toStorageError(operation, label, error)
    }
  }

  return {
    async check(): Promise<void> {
      const version = await run('check', () => appliedSchemaVersion(options.db, table))
      if (version < SCHEMA_VERSION) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `storage-sql: ${label} is at schema version ${version}${version === 0 ? ' (not created)' : ''}, and this @auth/storage-sql needs ${SCHEMA_VERSION}; run migrate(db, { dialect: '${dialect}'${table.table === DEFAULT_TABLE ? '' : `, table: '${table.table}'`} }) before starting`,
        )
      }
      if (version > SCHEMA_VERSION) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `storage-sql: ${label} is at schema version ${version}, newer than this @auth/storage-sql (${SCHEMA_VERSION}); upgrade the package on this node`,
        )
      }
    },

    async now(): Promise<number> {
      return run('now', async (signal) => {
        const expression = {
          postgres: sql<unknown>`floor(extract(epoch from clock_timestamp()) * 1000)`,
          mysql: sql<unknown>`floor(unix_timestamp(now(3)) * 1000)`,
          sqlite: sql<unknown>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`,
        }[dialect]
        const row = await sql<{ now: unknown }>`SELECT ${expression} AS now`.execute(options.db, { signal })
        const value = Number(row.rows[0]?.now)
        if (!Number.isSafeInteger(value)) {
          throw new AuthError(
            'ERR_STORAGE_UNAVAILABLE',
            `storage-sql: the database's clock answered ${String(row.rows[0]?.now)}`,
          )
        }
        return value
      })
    },

    async create(record: FamilyRecord): Promise<CreateResult> {
      const row = encodeRow(record)
      return run('create', async (signal) => {
        try {
          await db.insertInto(name).values(row).execute({ signal })
        } catch (error) {
          if (isDuplicateKey(dialect, error)) return { ok: false, reason: 'exists' }
          throw error
        }
        // The subject index is the subject's rows that are not revoked (one indexed count).
        const counted = await db
          .selectFrom(name)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('subject', '=', row.subject)
          .where('status', '<>', 'revoked')
          .executeTakeFirstOrThrow({ signal })
        return { ok: true, families: Number((counted as { n: unknown }).n) }
      })
    },

    async get(id: string): Promise<FamilyRecord | null> {
      if (!isStorableKey(id)) return null
      return run('get', async (signal) => {
        const row: unknown = await db.selectFrom(name).selectAll().where('id', '=', id).executeTakeFirst({ signal })
        if (row === undefined) return null
        const record = decodeRow(row, label)
        // MySQL's PAD SPACE collations match 'a' to 'a '; only the exact id is this family.
        return record.id === id ? record : null
      })
    },

    async compareAndSet(id: string, expectedVersion: number, next: FamilyRecord): Promise<CompareAndSetResult> {
      if (next.id !== id) {
        throw new AuthError('ERR_CONFIG_INVALID', 'compareAndSet: the id of a family never changes (next.id !== id)')
      }
      // Versions only grow (the engine writes expectedVersion + 1). So a successful write always
      // changes the row, which makes MySQL's changed-rows and matched-rows counts agree.
      if (!Number.isSafeInteger(expectedVersion) || !(next.version > expectedVersion)) {
        throw new AuthError('ERR_CONFIG_INVALID', 'compareAndSet: next.version must be greater than expectedVersion')
      }
      if (!isStorableKey(id)) return { ok: false, reason: 'not_found' }
      // No stored row has a version below 1 or beyond 2^53 - 2 (its successor must be safe too),
      // so such an expectation can only be a conflict (or not_found): no write is attempted.
      const matchable = expectedVersion >= 1 && Number.isSafeInteger(next.version)
      const row = matchable ? encodeRow(next) : undefined
      return run('compareAndSet', async (signal) => {
        if (row !== undefined) {
          const set: Partial<Record<(typeof MUTABLE)[number], unknown>> = {}
          for (const column of MUTABLE) set[column] = row[column]
          // The one atomic decision. `subject` in the WHERE: a write can never move a family to
          // another subject, even by mistake.
          let update = db
            .updateTable(name)
            .set(set)
            .where('id', '=', id)
            .where('subject', '=', row.subject)
            .where('version', '=', expectedVersion)
          // MySQL's PAD SPACE collations would let 'a ' match the row of 'a'; a binary comparison
          // (on top of the indexed one) makes the match exact.
          if (dialect === 'mysql') update = update.where(sql<boolean>`CAST(id AS BINARY) = CAST(${id} AS BINARY)`)
          // Above READ COMMITTED the database may abort the statement because of a concurrent
          // writer (PostgreSQL 40001/40P01, MySQL 1213), even of another row (SERIALIZABLE's
          // predicate locks give false positives). The statement is one conditional write, so
          // running it again is safe: if the version moved meanwhile it matches nothing and the
          // read below says conflict. It runs again, after a short random pause, until it is
          // carried out or the call's deadline (timeoutMs) ends it.
          let result: Awaited<ReturnType<typeof update.executeTakeFirst>> | undefined
          for (let attempt = 1; result === undefined; attempt++) {
            try {
              result = await update.executeTakeFirst({ signal })
            } catch (error) {
              if (!isSerializationFailure(dialect, error)) throw error
              await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * attempt)))
            }
          }
          if (result.numUpdatedRows === 1n) return { ok: true }
          if (result.numUpdatedRows !== 0n) {
            throw new AuthError('ERR_STORAGE_CORRUPT', `storage-sql: ${label} holds more than one row for one id`)
          }
        }
        // Nothing matched. This read only explains why; the write decision was already made.
        const current: unknown = await db
          .selectFrom(name)
          .select(['id', 'subject'])
          .where('id', '=', id)
          .executeTakeFirst({ signal })
        if (current === undefined || (current as { id: unknown }).id !== id) return { ok: false, reason: 'not_found' }
        if ((current as { subject: unknown }).subject !== next.subject) {
          throw new AuthError(
            'ERR_CONFIG_INVALID',
            'compareAndSet: the subject of a family never changes (next does not match the stored record)',
          )
        }
        return { ok: false, reason: 'conflict' }
      })
    },

    async listBySubject(subject: string, page: PageRequest): Promise<SubjectPage> {
      const limit = page?.limit
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new AuthError('ERR_CONFIG_INVALID', 'listBySubject: limit must be a positive integer')
      }
      if (!isStorableKey(subject)) return { records: [], cursor: null }
      const after = page.cursor ?? null
      return run('listBySubject', async (signal) => {
        // Keyset paging by id: stable while rows leave the index (revoked rows). `<> 'revoked'`
        // rather than `= 'active'`: a row with a status we never write is read, and refused.
        let query = db
          .selectFrom(name)
          .selectAll()
          .where('subject', '=', subject)
          .where('status', '<>', 'revoked')
          .orderBy('id')
          .limit(limit)
        if (after !== null) query = query.where('id', '>', after)
        const rows: unknown[] = await query.execute({ signal })
        const records = rows.map((row) => decodeRow(row, label))
        const last = records.at(-1)
        return {
          records: records.filter((record) => record.subject === subject),
          cursor: rows.length === limit && last !== undefined ? last.id : null,
        }
      })
    },

    async purgeExpired(now: number, purgeOptions: { batchSize?: number } = {}): Promise<number> {
      const batchSize = purgeOptions.batchSize ?? DEFAULT_BATCH_SIZE
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
        throw new AuthError('ERR_CONFIG_INVALID', 'purgeExpired: batchSize must be a positive integer')
      }
      if (!Number.isSafeInteger(now)) {
        throw new AuthError('ERR_CONFIG_INVALID', 'purgeExpired: now must be epoch milliseconds (a safe integer)')
      }
      let total = 0
      for (;;) {
        // Each batch is its own short statement (and transaction), with its own deadline.
        const deleted = await run('purgeExpired', (signal) => deleteBatch(db, name, dialect, now, batchSize, signal))
        total += deleted
        if (deleted < batchSize) return total
      }
    },

    async close(): Promise<void> {},
  }
}

/**
 * Deletes up to `limit` expired rows in one statement. The outer `idle_expires_at <= now` is
 * deliberate: if a compare-and-set renews a row between the subquery's read and the delete,
 * PostgreSQL re-checks the outer condition on the new row version and keeps it.
 */
async function deleteBatch(
  db: AnyKysely,
  name: string,
  dialect: 'postgres' | 'mysql' | 'sqlite',
  now: number,
  limit: number,
  signal: AbortSignal,
): Promise<number> {
  let query = db.deleteFrom(name).where('idle_expires_at', '<=', now)
  switch (dialect) {
    case 'mysql':
      // MySQL cannot LIMIT a subquery on the table it deletes from, but it can LIMIT the DELETE.
      query = query.orderBy('idle_expires_at').limit(limit)
      break
    case 'postgres':
      query = query.where(
        'id',
        'in',
        db
          .selectFrom(name)
          .select('id')
          .where('idle_expires_at', '<=', now)
          .orderBy('idle_expires_at')
          .limit(limit)
          // Rows a writer holds right now are left for the next purge instead of waited for.
          .forUpdate()
          .skipLocked(),
      )
      break
    case 'sqlite':
      query = query.where(
        'id',
        'in',
        db.selectFrom(name).select('id').where('idle_expires_at', '<=', now).orderBy('idle_expires_at').limit(limit),
      )
      break
    default: {
      const _never: never = dialect
      return _never
    }
  }
  const result = await query.executeTakeFirst({ signal })
  return Number(result.numDeletedRows)
}
