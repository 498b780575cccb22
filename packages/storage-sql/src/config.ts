import { AuthError } from '@auth/core'
import type { Kysely } from 'kysely'

/** The SQL databases the driver speaks. MariaDB is `'mysql'`. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite'

/**
 * Any Kysely instance: the driver never uses your database's type map, only its own table.
 */
// biome-ignore lint/suspicious/noExplicitAny: the user's Kysely<DB> is accepted whatever DB is; rows are validated at runtime
export type AnyKysely = Kysely<any>

/** Where the families live: the table (and, on PostgreSQL, the schema). */
export interface TableOptions {
  /** The database the `db` talks to. */
  readonly dialect: SqlDialect
  /** The families table. Default `'auth_families'`. Letters, digits and `_`, at most 48 characters. */
  readonly table?: string
  /** PostgreSQL only: the schema holding the table. Default: the connection's `search_path`. */
  readonly schema?: string
}

/** The default table name. */
export const DEFAULT_TABLE = 'auth_families'

/**
 * Names are spliced into SQL as quoted identifiers, so they are checked first. 48 characters
 * leaves room for the derived index names (`<table>_by_idle_expiry`) within PostgreSQL's 63.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/

const DIALECTS: readonly SqlDialect[] = ['postgres', 'mysql', 'sqlite']

/** A validated {@link TableOptions}. */
export interface ResolvedTable {
  readonly dialect: SqlDialect
  readonly table: string
  readonly schema: string | undefined
  /** For messages: `schema.table` or `table`. */
  readonly label: string
}

/** Checks the dialect, table and schema; throws `ERR_CONFIG_INVALID` naming the field. */
export function resolveTable(where: string, options: TableOptions): ResolvedTable {
  const { dialect, table = DEFAULT_TABLE, schema } = options
  if (!DIALECTS.includes(dialect)) {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: dialect must be one of ${DIALECTS.join(', ')}`)
  }
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `${where}: table must start with a letter or _, then letters, digits or _, at most 48 characters`,
    )
  }
  if (schema !== undefined) {
    if (dialect !== 'postgres') {
      throw new AuthError(
        'ERR_CONFIG_INVALID',
        `${where}: schema is for PostgreSQL only (on ${dialect}, choose the database in the connection)`,
      )
    }
    if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
      throw new AuthError(
        'ERR_CONFIG_INVALID',
        `${where}: schema must start with a letter or _, then letters, digits or _, at most 48 characters`,
      )
    }
  }
  return { dialect, table, schema, label: schema === undefined ? table : `${schema}.${table}` }
}

/** Throws `ERR_CONFIG_INVALID` unless `db` looks like a Kysely instance. */
export function assertKysely(where: string, db: unknown): asserts db is AnyKysely {
  const candidate = db as { selectFrom?: unknown; withSchema?: unknown } | null | undefined
  if (typeof candidate?.selectFrom !== 'function' || typeof candidate.withSchema !== 'function') {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: db must be a Kysely instance`)
  }
}

/** `db`, scoped to the table's schema when there is one. */
export function scoped(db: AnyKysely, table: ResolvedTable): AnyKysely {
  return table.schema === undefined ? db : db.withSchema(table.schema)
}
