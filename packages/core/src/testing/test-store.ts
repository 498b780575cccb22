import type { CompareAndSetResult, CreateResult, FamilyStore } from '../engine/store.js'
import { AuthError } from '../errors/index.js'
import type { FamilyRecord } from '../machine/types.js'
import { type Clock, systemClock } from '../runtime.js'

/** A {@link FamilyStore} for tests, with a count of what it holds. */
export interface TestStore extends FamilyStore {
  /** How many records the store holds, including expired ones not yet dropped by a read or a purge. */
  size(): number
  /** Deletes every record whose `idleExpiresAt` is at or before `now`; returns how many. */
  purgeExpired(now: number): Promise<number>
  /** The store's clock: the one it drops expired records by. */
  now(): Promise<number>
}

/**
 * A store for core's own tests and yours: records in a `Map`, each one dropped when a read finds
 * it past its `idleExpiresAt` on `clock` (give it the engine's clock). It keeps the storage
 * contract (atomic compare-and-set, `create` refusing a live id, id and subject never changing),
 * so the engine behaves on it as on a real driver; it is not a driver (a scan for an index, no
 * limits): use `@auth/storage-memory` in an app.
 */
export function createTestStore(options: { readonly clock?: Clock } = {}): TestStore {
  const clock = options.clock ?? systemClock
  const records = new Map<string, FamilyRecord>()
  const read = (id: string): FamilyRecord | undefined => {
    const record = records.get(id)
    if (record !== undefined && record.idleExpiresAt <= clock.now()) records.delete(id)
    return records.get(id)
  }
  /** The subject's families in its index: stored, not expired, not revoked (a scan: tests are small). */
  const indexed = (subject: string): string[] =>
    [...records.keys()].filter((id) => {
      const record = read(id)
      return record !== undefined && record.subject === subject && record.status === 'active'
    })
  const copy = (record: FamilyRecord): FamilyRecord =>
    Object.freeze({ ...record, meta: Object.freeze({ ...record.meta }) })
  return {
    async create(record): Promise<CreateResult> {
      if (read(record.id) !== undefined) return { ok: false, reason: 'exists' }
      records.set(record.id, copy(record))
      return { ok: true, families: indexed(record.subject).length }
    },
    async get(id) {
      return read(id) ?? null
    },
    async compareAndSet(id, expectedVersion, next): Promise<CompareAndSetResult> {
      const current = read(id)
      if (current === undefined) return { ok: false, reason: 'not_found' }
      if (next.id !== id || next.subject !== current.subject) {
        throw new AuthError('ERR_CONFIG_INVALID', 'compareAndSet: the id and subject of a family never change')
      }
      if (current.version !== expectedVersion) return { ok: false, reason: 'conflict' }
      records.set(id, copy(next))
      return { ok: true }
    },
    async listBySubject(subject, page) {
      // Ids in order; the cursor is the last id handed out. Revoked families are not in the index.
      const ids = indexed(subject).sort()
      const start = page.cursor == null ? 0 : ids.findIndex((id) => id > (page.cursor as string))
      const slice = start < 0 ? [] : ids.slice(start, start + page.limit)
      const last = slice.at(-1)
      const more = start >= 0 && start + page.limit < ids.length
      return {
        records: slice.map((id) => records.get(id) as FamilyRecord),
        cursor: more && last !== undefined ? last : null,
      }
    },
    async purgeExpired(now) {
      let deleted = 0
      for (const [id, record] of records) {
        if (record.idleExpiresAt <= now && records.delete(id)) deleted++
      }
      return deleted
    },
    now: async () => clock.now(),
    size: () => records.size,
  }
}
