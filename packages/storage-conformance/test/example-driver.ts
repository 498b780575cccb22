import { AuthError, type CompareAndSetResult, type CreateResult, type FamilyRecord, type FamilyStore } from '@auth/core'

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
      return { ok: true }
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
      return { ok: true }
    },

    async listBySubject(subject) {
      const ids = [...(bySubject.get(subject) ?? [])]
      return ids.map(read).filter((r): r is FamilyRecord => r !== null)
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

/** Parses and checks every field: anything this driver did not write is ERR_STORAGE_CORRUPT. */
function decode(id: string, json: string): FamilyRecord {
  let r: Record<string, unknown>
  try {
    r = JSON.parse(json) as Record<string, unknown>
  } catch {
    throw corrupt(id, 'not JSON')
  }
  const int = (v: unknown) => Number.isSafeInteger(v)
  const str = (v: unknown) => typeof v === 'string'
  const rev = r.revocation as { reason?: unknown; at?: unknown } | null
  const meta = r.meta as Record<string, unknown> | null
  const valid =
    typeof r === 'object' &&
    r !== null &&
    r.id === id &&
    str(r.subject) &&
    str(r.nonce) &&
    int(r.generation) &&
    int(r.version) &&
    (r.status === 'active' || r.status === 'revoked') &&
    (rev === null || (typeof rev === 'object' && str(rev.reason) && int(rev.at))) &&
    [r.createdAt, r.authTime, r.lastUsedAt, r.expiresAt, r.idleExpiresAt].every(int) &&
    (r.rotatedAt === null || int(r.rotatedAt)) &&
    (r.rotatedBinding === null || str(r.rotatedBinding)) &&
    typeof meta === 'object' &&
    meta !== null &&
    Object.values(meta).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  if (!valid) throw corrupt(id, 'a field is missing or has the wrong type')
  return r as unknown as FamilyRecord
}

function corrupt(id: string, why: string): AuthError {
  return new AuthError('ERR_STORAGE_CORRUPT', `family ${id} is stored corrupt: ${why}`)
}
