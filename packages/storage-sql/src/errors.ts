import { AuthError, isAuthError } from '@auth/core'
import type { SqlDialect } from './config.js'

type DriverError = Error & { code?: unknown; errno?: unknown }

function asDriverError(error: unknown): DriverError | undefined {
  return error instanceof Error ? (error as DriverError) : undefined
}

/**
 * True when `error` is the database refusing a duplicate primary key: PostgreSQL SQLSTATE
 * 23505, MySQL/MariaDB ER_DUP_ENTRY (1062), SQLite SQLITE_CONSTRAINT_PRIMARYKEY.
 */
export function isDuplicateKey(dialect: SqlDialect, error: unknown): boolean {
  const e = asDriverError(error)
  if (e === undefined) return false
  switch (dialect) {
    case 'postgres':
      return e.code === '23505'
    case 'mysql':
      return e.errno === 1062 || e.code === 'ER_DUP_ENTRY'
    case 'sqlite':
      return e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE'
    default: {
      const _never: never = dialect
      return _never
    }
  }
}

/**
 * True when `error` is the database giving up a write because another transaction got there
 * first: PostgreSQL serialization_failure (40001, at REPEATABLE READ and SERIALIZABLE) and
 * deadlock_detected (40P01), MySQL/MariaDB ER_LOCK_DEADLOCK (1213). For a compare-and-set that is
 * exactly a lost race: the caller re-reads and decides again.
 */
export function isSerializationFailure(dialect: SqlDialect, error: unknown): boolean {
  const e = asDriverError(error)
  if (e === undefined) return false
  switch (dialect) {
    case 'postgres':
      return e.code === '40001' || e.code === '40P01'
    case 'mysql':
      return e.errno === 1213 || e.code === 'ER_LOCK_DEADLOCK'
    case 'sqlite':
      return false // one writer at a time: SQLite has no serialization failures to map
    default: {
      const _never: never = dialect
      return _never
    }
  }
}

/** True when `error` says a column is missing: the table is older than this code (`migrate()` has not run since the upgrade). */
function isMissingColumn(error: DriverError): boolean {
  return (
    error.code === '42703' || // postgres undefined_column
    error.errno === 1054 || // mysql ER_BAD_FIELD_ERROR
    (error.code === 'SQLITE_ERROR' && /no such column|has no column named/i.test(error.message))
  )
}

/** True when `error` says the table is missing: `migrate()` has not run against this database. */
export function isMissingTable(error: DriverError): boolean {
  return (
    error.code === '42P01' || // postgres undefined_table
    error.code === '3F000' || // postgres invalid_schema_name
    error.errno === 1146 || // mysql ER_NO_SUCH_TABLE
    (error.code === 'SQLITE_ERROR' && /no such table/i.test(error.message))
  )
}

/** True for an abort of our own per-call deadline (Kysely rethrows the signal's reason). */
function isTimeout(error: DriverError): boolean {
  return error.name === 'TimeoutError' || error.name === 'AbortError'
}

/**
 * Turns anything a database call threw into an {@link AuthError}. Nothing is swallowed: the
 * driver's error stays as `cause`. The message names the operation, the table and the driver's
 * error code, never a value from the row (a row holds the family's nonce).
 *
 * - a damaged SQLite file (SQLITE_CORRUPT, SQLITE_NOTADB) is `ERR_STORAGE_CORRUPT`;
 * - a missing table or column (not migrated, or not since the upgrade) is `ERR_CONFIG_INVALID`
 *   with the fix: a deploy step is missing, and retrying will not help (never a 503);
 * - everything else (refused or lost connections, timeouts, a missing table, a full disk, a
 *   deadlock) is `ERR_STORAGE_UNAVAILABLE`: the request fails closed and may be retried.
 */
export function toStorageError(operation: string, label: string, error: unknown): AuthError {
  if (isAuthError(error)) return error
  const e = asDriverError(error)
  const where = `storage-sql: ${operation} on ${label}`
  if (e === undefined) {
    return new AuthError('ERR_STORAGE_UNAVAILABLE', `${where} failed`, { cause: error })
  }
  if (e.code === 'SQLITE_CORRUPT' || e.code === 'SQLITE_NOTADB') {
    return new AuthError('ERR_STORAGE_CORRUPT', `${where}: the database file is damaged (${e.code})`, { cause: e })
  }
  if (isTimeout(e)) {
    return new AuthError('ERR_STORAGE_UNAVAILABLE', `${where} timed out`, { cause: e })
  }
  if (isMissingTable(e)) {
    return new AuthError('ERR_CONFIG_INVALID', `${where}: the table does not exist; run migrate() before starting`, {
      cause: e,
    })
  }
  if (isMissingColumn(e)) {
    return new AuthError(
      'ERR_CONFIG_INVALID',
      `${where}: the table is older than this @auth/storage-sql (a column is missing); run migrate() before starting`,
      { cause: e },
    )
  }
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? ` (${e.code})` : ''
  return new AuthError('ERR_STORAGE_UNAVAILABLE', `${where} failed${code}`, { cause: e })
}
