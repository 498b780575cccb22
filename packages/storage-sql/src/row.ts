import type { FamilyMeta, FamilyRecord, FamilyStatus, RevocationReason } from '@auth/core'
import { AuthError, familyRecordProblem } from '@auth/core'

/**
 * One family as a table row. Times are epoch milliseconds in `bigint` columns; `meta` is JSON
 * text; `revocation` is split into two nullable columns.
 */
export interface FamilyRow {
  id: string
  subject: string
  generation: number
  status: string
  revocation_reason: string | null
  revoked_at: number | null
  created_at: number
  auth_time: number
  last_used_at: number
  rotated_at: number | null
  rotated_binding: string | null
  expires_at: number
  idle_expires_at: number
  version: number
  nonce: string
  meta: string
  /** Schema 2: the login claims, JSON text (`'{}'` for rows written before). */
  claims: string
  /** Schema 2: the family's named policy; null for the default one. */
  policy: string | null
  /** Schema 2: the client the family logged in through. */
  client_id: string | null
  /** Schema 2: the DPoP key thumbprint the family is bound to. */
  jkt: string | null
}

/** Every column this version reads and writes. */
export const FAMILY_COLUMNS = [
  'id',
  'subject',
  'generation',
  'status',
  'revocation_reason',
  'revoked_at',
  'created_at',
  'auth_time',
  'last_used_at',
  'rotated_at',
  'rotated_binding',
  'expires_at',
  'idle_expires_at',
  'version',
  'nonce',
  'meta',
  'claims',
  'policy',
  'client_id',
  'jkt',
] as const satisfies readonly (keyof FamilyRow)[]

const KNOWN_COLUMNS: ReadonlySet<string> = new Set(FAMILY_COLUMNS)

/** Longest `id` and `subject` every dialect stores (`varchar(255)` on MySQL). */
export const MAX_KEY_LENGTH = 255

/** With the `u` flag a surrogate class matches only unpaired halves. */
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * True when `value` can be an `id` or `subject` in every dialect: 1 to 255 characters, well
 * formed UTF-16 (no lone surrogates, which MySQL refuses) and no NUL (which PostgreSQL refuses).
 * A lookup with any other string cannot match a row, so it is answered without a query.
 */
export function isStorableKey(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_KEY_LENGTH &&
    !LONE_SURROGATE.test(value) &&
    !value.includes('\u0000')
  )
}

function misuse(field: string, rule: string): AuthError {
  return new AuthError('ERR_CONFIG_INVALID', `storage-sql: cannot store a family whose ${field} ${rule}`)
}

function writableInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw misuse(field, 'is not a safe integer')
  return value
}

function writableText(field: string, value: unknown): string {
  if (typeof value !== 'string' || LONE_SURROGATE.test(value) || value.includes('\u0000')) {
    throw misuse(field, 'is not well-formed text without NUL')
  }
  return value
}

/**
 * The row for `record`. Throws `ERR_CONFIG_INVALID` for a record no dialect could store
 * faithfully (the engine never builds one), so nothing is written half-converted.
 */
export function encodeRow(record: FamilyRecord): FamilyRow {
  if (!isStorableKey(record.id)) throw misuse('id', `is not 1 to ${MAX_KEY_LENGTH} characters of well-formed text`)
  if (!isStorableKey(record.subject)) {
    throw misuse('subject', `is not 1 to ${MAX_KEY_LENGTH} characters of well-formed text`)
  }
  const problem = familyRecordProblem(record)
  if (problem === 'status') throw misuse('status', 'is unknown')
  if (problem === 'revocation.reason') throw misuse('revocation reason', 'is unknown')
  const revocation = record.revocation
  const meta = JSON.stringify(record.meta)
  if (typeof meta !== 'string') throw misuse('meta', 'is not JSON')
  return {
    id: record.id,
    subject: record.subject,
    generation: writableInteger('generation', record.generation),
    status: record.status,
    revocation_reason: revocation === null ? null : revocation.reason,
    revoked_at: revocation === null ? null : writableInteger('revocation time', revocation.at),
    created_at: writableInteger('createdAt', record.createdAt),
    auth_time: writableInteger('authTime', record.authTime),
    last_used_at: writableInteger('lastUsedAt', record.lastUsedAt),
    rotated_at: record.rotatedAt === null ? null : writableInteger('rotatedAt', record.rotatedAt),
    rotated_binding: record.rotatedBinding === null ? null : writableText('rotatedBinding', record.rotatedBinding),
    expires_at: writableInteger('expiresAt', record.expiresAt),
    idle_expires_at: writableInteger('idleExpiresAt', record.idleExpiresAt),
    version: writableInteger('version', record.version),
    nonce: writableText('nonce', record.nonce),
    meta: writableText('meta', meta),
    claims: writableText('claims', JSON.stringify(record.claims)),
    policy: record.policy === null ? null : writableText('policy', record.policy),
    client_id: record.clientId === null ? null : writableText('clientId', record.clientId),
    jkt: record.jkt === null ? null : writableText('jkt', record.jkt),
  }
}

/** Decoding failed: the row is not one this driver wrote. */
class CorruptRow extends Error {
  constructor(readonly field: string) {
    super(field)
  }
}

/**
 * A safe integer from a column. PostgreSQL's `pg` returns `bigint` columns as strings, MySQL and
 * SQLite as numbers; a driver configured for big numbers may give a `bigint`. Anything that is
 * not exactly a safe integer is corrupt: rounding a time or a version would be silent damage.
 */
function integer(row: Record<string, unknown>, field: string, min: number): number {
  const value = row[field]
  let n: number
  if (typeof value === 'number') n = value
  else if (typeof value === 'bigint') n = Number(value)
  else if (typeof value === 'string' && /^-?(0|[1-9][0-9]{0,15})$/.test(value)) n = Number(value)
  else throw new CorruptRow(field)
  if (!Number.isSafeInteger(n) || n < min || (typeof value === 'bigint' && BigInt(n) !== value)) {
    throw new CorruptRow(field)
  }
  return n
}

function nullableInteger(row: Record<string, unknown>, field: string, min: number): number | null {
  return row[field] === null ? null : integer(row, field, min)
}

function text(row: Record<string, unknown>, field: string): string {
  const value = row[field]
  if (typeof value !== 'string' || value.length === 0) throw new CorruptRow(field)
  return value
}

function nullableText(row: Record<string, unknown>, field: string): string | null {
  const value = row[field]
  if (value === null) return null
  if (typeof value !== 'string') throw new CorruptRow(field)
  return value
}

/** `meta` is JSON text; what it holds is checked with the rest of the record. */
function meta(row: Record<string, unknown>): FamilyMeta {
  return json(row, 'meta') as FamilyMeta
}

/** A JSON text column, parsed. */
function json(row: Record<string, unknown>, field: string): unknown {
  const raw = text(row, field)
  try {
    return JSON.parse(raw)
  } catch {
    // Not swallowed: reported as the corrupt field by the caller.
    throw new CorruptRow(field)
  }
}

/** The two revocation columns as the record's `revocation` (checked with the rest of the record). */
function revocation(row: Record<string, unknown>): FamilyRecord['revocation'] {
  const reason = nullableText(row, 'revocation_reason')
  const at = nullableInteger(row, 'revoked_at', 0)
  if (reason === null && at === null) return null
  return { reason: reason as RevocationReason, at: at as number }
}

/** The column to name when the record validator refuses field `problem`. */
const COLUMN_OF: Readonly<Record<string, string>> = {
  status: 'status',
  revocation: 'revocation_reason',
  'revocation.reason': 'revocation_reason',
  'revocation.at': 'revoked_at',
  meta: 'meta',
  claims: 'claims',
  policy: 'policy',
  clientId: 'client_id',
  jkt: 'jkt',
}

/**
 * The record in `row`, every field checked: types, ranges, the status and revocation agreeing,
 * `meta` being a JSON object of scalars. Anything else throws `ERR_STORAGE_CORRUPT` naming the
 * column (never its value: the row holds the family's nonce). The engine then fails closed.
 */
export function decodeRow(row: unknown, label: string): FamilyRecord {
  if (typeof row !== 'object' || row === null) {
    throw new AuthError('ERR_STORAGE_CORRUPT', `storage-sql: ${label} returned something that is not a row`)
  }
  const r = row as Record<string, unknown>
  try {
    const record: FamilyRecord = {
      id: text(r, 'id'),
      subject: text(r, 'subject'),
      generation: integer(r, 'generation', 0),
      status: text(r, 'status') as FamilyStatus,
      revocation: revocation(r),
      createdAt: integer(r, 'created_at', 0),
      authTime: integer(r, 'auth_time', 0),
      lastUsedAt: integer(r, 'last_used_at', 0),
      rotatedAt: nullableInteger(r, 'rotated_at', 0),
      rotatedBinding: nullableText(r, 'rotated_binding'),
      expiresAt: integer(r, 'expires_at', 0),
      idleExpiresAt: integer(r, 'idle_expires_at', 0),
      version: integer(r, 'version', 1),
      nonce: text(r, 'nonce'),
      meta: meta(r),
      claims: json(r, 'claims') as FamilyRecord['claims'],
      policy: nullableText(r, 'policy'),
      clientId: nullableText(r, 'client_id'),
      jkt: nullableText(r, 'jkt'),
    }
    // A column a newer version added, holding a value: this version cannot honour it, and an
    // update from here would leave it stale beside fields it rewrote. Refused, never ignored.
    for (const column in r) {
      if (!KNOWN_COLUMNS.has(column) && r[column] !== null && r[column] !== undefined) throw new CorruptRow(column)
    }
    const problem = familyRecordProblem(record)
    if (problem !== null) throw new CorruptRow(COLUMN_OF[problem] ?? problem)
    return record
  } catch (error) {
    if (!(error instanceof CorruptRow)) throw error
    throw new AuthError(
      'ERR_STORAGE_CORRUPT',
      `storage-sql: a row of ${label} does not decode: column ${error.field} is not what this driver writes`,
    )
  }
}
