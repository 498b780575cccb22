import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FamilyRecord } from '@auth/core'
import type { ConformanceHarness, CorruptionKind, StoreInspector } from '@auth/storage-conformance'
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'
import type { AnyKysely, SqlDialect } from '../src/index.js'
import { createSqlStore, MIGRATIONS_TABLE, migrate } from '../src/index.js'

/** A table name no other run uses. */
export function uniqueName(prefix = 'fam'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

/** PostgreSQL through a pg Pool with the timeouts docs/storage/sql.md recommends. */
export function openPostgres(url: string, max = 10): AnyKysely {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 2000,
    query_timeout: 10_000,
    statement_timeout: 10_000,
    idleTimeoutMillis: 1000,
  })
  return new Kysely({ dialect: new PostgresDialect({ pool }) })
}

/** MySQL/MariaDB through a mysql2 pool with a connect timeout. */
export function openMysql(url: string, connectionLimit = 10): AnyKysely {
  const pool = createPool({ uri: url, connectionLimit, connectTimeout: 2000, idleTimeout: 1000 })
  return new Kysely({ dialect: new MysqlDialect({ pool }) })
}

/** A SQLite database in a fresh temporary file; `remove` deletes the file (after `db.destroy()`). */
export function openSqlite(): { db: AnyKysely; file: string; remove: () => void } {
  const file = join(tmpdir(), `auth-storage-sql-${randomBytes(6).toString('hex')}.sqlite`)
  const db = openSqliteFile(file)
  const remove = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
  }
  return { db, file, remove }
}

/** Another connection to the SQLite file `file` (WAL mode, better-sqlite3's 5 s busy timeout). */
export function openSqliteFile(file: string): AnyKysely {
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  return new Kysely({ dialect: new SqliteDialect({ database }) })
}

/** Drops a families table and forgets its migrations. */
export async function dropTable(db: AnyKysely, table: string, schema?: string): Promise<void> {
  const scoped = schema === undefined ? db : db.withSchema(schema)
  await scoped.schema.dropTable(table).ifExists().execute()
  const migrations = await scoped
    .selectFrom(MIGRATIONS_TABLE)
    .select('table_name')
    .limit(1)
    .execute()
    .catch(() => null)
  if (migrations !== null) await scoped.deleteFrom(MIGRATIONS_TABLE).where('table_name', '=', table).execute()
}

/**
 * A conformance `setup` for one dialect: each test gets its own freshly migrated table on the
 * shared connection, dropped by `cleanup`.
 */
export function sqlSetup(db: AnyKysely, dialect: SqlDialect): () => Promise<ConformanceHarness> {
  return async () => {
    const table = uniqueName()
    await migrate(db, { dialect, table })
    const store = createSqlStore({ db, dialect, table })
    return { store, inspect: sqlInspector(db, dialect, table), cleanup: () => dropTable(db, table) }
  }
}

/**
 * Reads and spoils rows with plain SQL, decoding them here, independently of the driver's
 * decoder: what `raw` returns is what the table really holds.
 */
export function sqlInspector(db: AnyKysely, dialect: SqlDialect, table: string): StoreInspector {
  /** Whether the table already has the column a test added for 'unknown_field'. */
  const hasFutureColumn = async (): Promise<boolean> => {
    try {
      await sql`SELECT future_binding FROM ${sql.table(table)} WHERE 1 = 0`.execute(db)
      return true
    } catch {
      return false
    }
  }
  return {
    async indexed(subject) {
      const rows = await sql<{
        n: unknown
      }>`SELECT COUNT(*) AS n FROM ${sql.table(table)} WHERE subject = ${subject} AND status <> 'revoked'`.execute(db)
      return Number(rows.rows[0]?.n)
    },
    async raw(id) {
      const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE id = ${id}`.execute(db)
      const exact = rows.rows.filter((row) => row.id === id)
      if (exact.length === 0) return null
      return decodeIndependently(exact[0]!)
    },
    async corrupt(id, kind: CorruptionKind) {
      // The columns are typed and NOT NULL, so each kind is the closest thing the table can hold.
      const spoil = {
        garbage: sql`meta = ${'{"userAgent": not json'}`,
        missing_field: sql`nonce = ${''}`,
        // SQLite keeps text in an INTEGER column; PostgreSQL and MySQL refuse it, so a status
        // outside the enum is the wrong "type" there.
        wrong_type: dialect === 'sqlite' ? sql`generation = ${'seven'}` : sql`status = ${'maybe'}`,
        // What a newer schema would hold: a column this version does not know, with a value.
        unknown_field: sql`future_binding = ${'key-7'}`,
      }[kind]
      if (kind === 'unknown_field') {
        const columns = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE 1 = 0`.execute(db)
        const has = columns.rows.length > 0 ? 'future_binding' in (columns.rows[0] as object) : await hasFutureColumn()
        if (!has) await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN future_binding varchar(64)`.execute(db)
      }
      await sql`UPDATE ${sql.table(table)} SET ${spoil} WHERE id = ${id}`.execute(db)
    },
  }
}

function decodeIndependently(row: Record<string, unknown>): FamilyRecord | 'corrupt' {
  const int = (value: unknown): number | undefined => {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value
    return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined
  }
  const optionalInt = (value: unknown): number | null | undefined => (value === null ? null : int(value))
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
  let meta: unknown
  let claims: unknown
  try {
    meta = JSON.parse(String(row.meta))
    claims = JSON.parse(String(row.claims))
  } catch {
    return 'corrupt'
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return 'corrupt'
  const nullableStr = (value: unknown): string | null | undefined => (value === null ? null : str(value))
  const bindings = { policy: nullableStr(row.policy), clientId: nullableStr(row.client_id), jkt: nullableStr(row.jkt) }
  if (Object.values(bindings).some((v) => v === undefined)) return 'corrupt'
  if (row.future_binding !== undefined && row.future_binding !== null) return 'corrupt'
  const status = row.status
  const fields = {
    id: str(row.id),
    subject: str(row.subject),
    generation: int(row.generation),
    createdAt: int(row.created_at),
    authTime: int(row.auth_time),
    lastUsedAt: int(row.last_used_at),
    rotatedAt: optionalInt(row.rotated_at),
    expiresAt: int(row.expires_at),
    idleExpiresAt: int(row.idle_expires_at),
    version: int(row.version),
    nonce: str(row.nonce),
  }
  if (Object.values(fields).some((v) => v === undefined)) return 'corrupt'
  if (status !== 'active' && status !== 'revoked') return 'corrupt'
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return 'corrupt'
  const revokedAt = optionalInt(row.revoked_at)
  const revocation =
    status === 'revoked' && typeof row.revocation_reason === 'string' && typeof revokedAt === 'number'
      ? { reason: row.revocation_reason as never, at: revokedAt }
      : null
  if ((status === 'revoked') !== (revocation !== null)) return 'corrupt'
  const rotatedBinding = row.rotated_binding
  if (rotatedBinding !== null && typeof rotatedBinding !== 'string') return 'corrupt'
  return {
    ...(fields as Omit<
      FamilyRecord,
      'status' | 'revocation' | 'rotatedBinding' | 'meta' | 'claims' | 'policy' | 'clientId' | 'jkt'
    >),
    status,
    revocation,
    rotatedBinding,
    meta: meta as FamilyRecord['meta'],
    claims: claims as FamilyRecord['claims'],
    ...(bindings as Pick<FamilyRecord, 'policy' | 'clientId' | 'jkt'>),
  }
}
