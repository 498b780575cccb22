import { AuthError, type FamilyMeta, type FamilyRecord, familyRecordProblem } from '@auth/core'

/** The record's fields in a fixed order (the record was validated: it has no others). */
function project(r: FamilyRecord): FamilyRecord {
  return {
    id: r.id,
    subject: r.subject,
    generation: r.generation,
    status: r.status,
    revocation: r.revocation === null ? null : { reason: r.revocation.reason, at: r.revocation.at },
    createdAt: r.createdAt,
    authTime: r.authTime,
    lastUsedAt: r.lastUsedAt,
    rotatedAt: r.rotatedAt,
    rotatedBinding: r.rotatedBinding,
    expiresAt: r.expiresAt,
    idleExpiresAt: r.idleExpiresAt,
    version: r.version,
    nonce: r.nonce,
    meta: { ...r.meta } as FamilyMeta,
    claims: r.claims,
    policy: r.policy,
    clientId: r.clientId,
    jkt: r.jkt,
  }
}

/**
 * Fields added after the first release (schema 2), with the value a record written before them
 * means: no login claims, the default policy, no client, no DPoP key.
 */
const ADDED_IN_2 = { claims: {}, policy: null, clientId: null, jkt: null } as const
const ADDED_NAMES = Object.keys(ADDED_IN_2) as (keyof typeof ADDED_IN_2)[]

/**
 * The JSON the driver stores for `record`. Refuses (ERR_CONFIG_INVALID) a record that would not
 * come back as it went in: a caller bug, caught before anything is written.
 */
export function encodeRecord(record: FamilyRecord, operation: string): string {
  const problem = familyRecordProblem(record)
  if (problem !== null) {
    throw new AuthError('ERR_CONFIG_INVALID', `${operation}: the record to store is invalid (${problem})`)
  }
  return JSON.stringify(project(record))
}

/** The stored hash fields of one family key, as HMGET returns them. */
export interface StoredFields {
  readonly version: string | null
  readonly subject: string | null
  readonly indexed: string | null
  readonly json: string | null
}

const DECIMAL = /^(0|[1-9][0-9]*)$/

/**
 * Decodes what is stored under the family key of `id`: null when nothing is, the record when it
 * is valid, and `AuthError('ERR_STORAGE_CORRUPT')` otherwise. Every field is checked, and the
 * hash's own `v` and `s` must agree with the JSON.
 */
export function decodeRecord(id: string, fields: StoredFields): FamilyRecord | null {
  const { version, subject, indexed, json } = fields
  if (version === null && subject === null && indexed === null && json === null) return null
  const corrupt = (why: string) =>
    new AuthError('ERR_STORAGE_CORRUPT', `family ${JSON.stringify(id)} is stored corrupt in Redis: ${why}`)
  if (version === null || subject === null || indexed === null || json === null) throw corrupt('a field is missing')
  if (!DECIMAL.test(version) || !DECIMAL.test(indexed)) throw corrupt('a counter is not a decimal integer')
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    throw corrupt('the record is not JSON')
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    // A record written before schema 2 lacks these; fill them in on the fresh parse (no copy).
    const fields = parsed as Record<string, unknown>
    for (const name of ADDED_NAMES) if (!Object.hasOwn(fields, name)) fields[name] = ADDED_IN_2[name]
  }
  const problem = familyRecordProblem(parsed)
  if (problem !== null) throw corrupt(`bad ${problem}`)
  const record = project(parsed as FamilyRecord)
  if (record.id !== id) throw corrupt('the id does not match the key')
  if (String(record.version) !== version || record.subject !== subject) {
    throw corrupt('the record does not match its version or subject field')
  }
  return record
}
