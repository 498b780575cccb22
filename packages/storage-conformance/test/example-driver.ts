import {
  AuthError,
  type CompareAndSetResult,
  type CreateResult,
  type FamilyRecord,
  type FamilyStore,
  familyRecordProblem,
  type SubjectPage,
} from '@auth/core'

/**
 * A worked example of a driver: records live as JSON text in a key-value map (think of any
 * store that holds strings), with a subject index beside them and expiry by purge. It is small
 * on purpose, and it passes the whole conformance suite (see example-driver.test.ts).
 */
export interface JsonMapStore extends FamilyStore {
  purgeExpired(now: number, options?: { batchSize?: number }): Promise<number>
  /** The storage itself, exposed for the conformance suite's `inspect` side channel. */
  readonly rows: Map<string, string>
}

export function createJsonMapStore(): JsonMapStore {
  const rows = new Map<string, string>() // family id -> JSON of the record
  const bySubject = new Map<string, Set<string>>() // subject -> family ids

  const read = (id: string): FamilyRecord | null => {
    const json = rows.get(id)
    return json === undefined ? null : decode(id, json)
  }

  return {
    rows,

    async create(record): Promise<CreateResult> {
      if (rows.has(record.id)) return { ok: false, reason: 'exists' }
      rows.set(record.id, JSON.stringify(record))
      const ids = bySubject.get(record.subject) ?? new Set()
      bySubject.set(record.subject, ids.add(record.id))
      return { ok: true, families: ids.size }
    },

    async get(id) {
      return read(id)
    },

    // Atomic because nothing awaits between the check and the write. A networked driver makes
    // this one conditional statement instead (UPDATE … WHERE id = ? AND version = ?, or a Lua script).
    async compareAndSet(id, expectedVersion, next): Promise<CompareAndSetResult> {
      const current = read(id)
      if (current === null) return { ok: false, reason: 'not_found' }
      if (current.version !== expectedVersion) return { ok: false, reason: 'conflict' }
      if (next.id !== id || next.subject !== current.subject) {
        throw new AuthError('ERR_CONFIG_INVALID', 'compareAndSet: a family never changes its id or subject')
      }
      rows.set(id, JSON.stringify(next))
      // A revoked family leaves the subject index; its record stays (reuse detection needs it).
      if (next.status === 'revoked') bySubject.get(next.subject)?.delete(id)
      return { ok: true }
    },

    // Keyset paging: ids in order, the cursor the last id handed out, so a walk stays whole while
    // families leave the index. A database does the same with WHERE id > ? ORDER BY id LIMIT ?.
    async listBySubject(subject, { limit, cursor }): Promise<SubjectPage> {
      const ids = [...(bySubject.get(subject) ?? [])].filter((id) => cursor == null || id > cursor).sort()
      const page = ids.slice(0, limit)
      const records = page.map(read).filter((r): r is FamilyRecord => r !== null)
      return { records, cursor: ids.length > limit ? (page.at(-1) ?? null) : null }
    },

    async purgeExpired(now, { batchSize = 500 } = {}) {
      let deleted = 0
      let batch: string[]
      do {
        // One bounded batch at a time, as a database would DELETE … LIMIT batchSize.
        batch = []
        for (const [id, json] of rows) {
          if (batch.length === batchSize) break
          const { idleExpiresAt, subject } = JSON.parse(json) as FamilyRecord
          if (idleExpiresAt <= now) {
            batch.push(id)
            bySubject.get(subject)?.delete(id)
          }
        }
        for (const id of batch) rows.delete(id)
        deleted += batch.length
        await new Promise((resolve) => setImmediate(resolve)) // let other work run between batches
      } while (batch.length === batchSize)
      return deleted
    },
  }
}

/**
 * Parses and checks every field with core's one record validator: anything this driver did not
 * write (or a newer version wrote, with fields this one does not know) is ERR_STORAGE_CORRUPT.
 */
function decode(id: string, json: string): FamilyRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    throw corrupt(id, 'not JSON')
  }
  const problem = familyRecordProblem(parsed)
  if (problem !== null) throw corrupt(id, `bad ${problem}`)
  const record = parsed as FamilyRecord
  if (record.id !== id) throw corrupt(id, 'the id does not match the key')
  return record
}

function corrupt(id: string, why: string): AuthError {
  return new AuthError('ERR_STORAGE_CORRUPT', `family ${id} is stored corrupt: ${why}`)
}
