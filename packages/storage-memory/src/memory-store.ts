import type {
  Clock,
  CompareAndSetResult,
  CreateResult,
  FamilyRecord,
  FamilyStore,
  PageRequest,
  SubjectPage,
} from '@auth/core'
import { AuthError, assertKnownOptions, systemClock } from '@auth/core'

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The source of time for lazy expiry (epoch milliseconds). Give it the same clock as the
   * engine, so that a record dies for the store when it dies for the engine. Default `Date.now`.
   */
  readonly clock?: Clock
}

/** The memory driver: a {@link FamilyStore} plus a count of the records it holds. */
export interface MemoryStore extends FamilyStore {
  /** How many records the store holds, including expired ones not yet dropped by a read or a purge. */
  size(): number
  /** Deletes every record whose `idleExpiresAt` is at or before `now`, yielding to the event loop between batches. */
  purgeExpired(now: number, options?: { batchSize?: number }): Promise<number>
}

const DEFAULT_BATCH_SIZE = 1000

/**
 * Creates the reference driver: records live in a `Map` in this process and die with it.
 * Use it for development, tests and single-process apps that accept losing every session on
 * restart.
 *
 * - Compare-and-set is atomic: the check and the write happen in one synchronous step, which
 *   nothing else in the process can interleave with.
 * - Expiry is lazy: a record whose `idleExpiresAt` is at or before `clock.now()` is dropped when
 *   it is read, and {@link FamilyStore.purgeExpired} sweeps the rest.
 * - Records are stored as frozen copies: nothing a caller does to the object it passed in, or to
 *   one it got back, changes what is stored.
 *
 * @example
 * ```ts
 * const store = createMemoryStore()
 * const engine = createEngine({ store, issuer: 'https://api.example.com', audience: 'api', secret })
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  assertKnownOptions('createMemoryStore', options, ['clock'])
  const clock = options.clock ?? systemClock
  if (typeof clock?.now !== 'function') {
    throw new AuthError('ERR_CONFIG_INVALID', 'createMemoryStore: clock must have a now() method')
  }
  const records = new Map<string, FamilyRecord>()
  const bySubject = new Map<string, Set<string>>()

  const unindex = (record: FamilyRecord): void => {
    const ids = bySubject.get(record.subject)
    if (ids === undefined) return
    ids.delete(record.id)
    if (ids.size === 0) bySubject.delete(record.subject)
  }

  const remove = (record: FamilyRecord): void => {
    records.delete(record.id)
    unindex(record)
  }

  /** The live record for `id`; an expired one is dropped on the way. */
  const live = (id: string, now: number): FamilyRecord | undefined => {
    const record = records.get(id)
    if (record === undefined) return undefined
    if (record.idleExpiresAt <= now) {
      remove(record)
      return undefined
    }
    return record
  }

  return {
    async create(record: FamilyRecord): Promise<CreateResult> {
      if (live(record.id, clock.now()) !== undefined) return { ok: false, reason: 'exists' }
      const stored = freezeCopy(record)
      records.set(stored.id, stored)
      let ids = bySubject.get(stored.subject)
      if (ids === undefined) {
        ids = new Set()
        bySubject.set(stored.subject, ids)
      }
      ids.add(stored.id)
      return { ok: true, families: ids.size }
    },

    async get(id: string): Promise<FamilyRecord | null> {
      return live(id, clock.now()) ?? null
    },

    async compareAndSet(id: string, expectedVersion: number, next: FamilyRecord): Promise<CompareAndSetResult> {
      const current = live(id, clock.now())
      if (current === undefined) return { ok: false, reason: 'not_found' }
      if (next.id !== id || next.subject !== current.subject) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          'compareAndSet: the id and subject of a family never change (next does not match the stored record)',
        )
      }
      if (current.version !== expectedVersion) return { ok: false, reason: 'conflict' }
      records.set(id, freezeCopy(next))
      // A revoked family leaves the subject index (its record stays, for reuse detection).
      if (next.status === 'revoked') unindex(next)
      return { ok: true }
    },

    async listBySubject(subject: string, page: PageRequest): Promise<SubjectPage> {
      const ids = bySubject.get(subject)
      if (ids === undefined) return { records: [], cursor: null }
      const limit = pageLimit(page)
      const after = page.cursor ?? null
      // Ids in sorted order, the cursor the last one handed out: stable while families leave.
      const sorted = [...ids].filter((id) => after === null || id > after).sort()
      const now = clock.now()
      const records: FamilyRecord[] = []
      for (const id of sorted.slice(0, limit)) {
        const record = live(id, now)
        if (record !== undefined) records.push(record)
      }
      const last = sorted[Math.min(limit, sorted.length) - 1]
      return { records, cursor: sorted.length > limit && last !== undefined ? last : null }
    },

    async purgeExpired(now: number, purgeOptions: { batchSize?: number } = {}): Promise<number> {
      const batchSize = purgeOptions.batchSize ?? DEFAULT_BATCH_SIZE
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
        throw new AuthError('ERR_CONFIG_INVALID', 'purgeExpired: batchSize must be a positive integer')
      }
      let deleted = 0
      let inBatch = 0
      for (const record of [...records.values()]) {
        // Re-check: a write between two batches may have renewed the record.
        const current = records.get(record.id)
        if (current === undefined || current.idleExpiresAt > now) continue
        remove(current)
        deleted++
        if (++inBatch === batchSize) {
          inBatch = 0
          // Let other work run between batches, as a database driver would.
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
      }
      return deleted
    },

    /** The store's clock (the one records expire by): an engine on the system clock decides in it. */
    now: async () => clock.now(),

    size: () => records.size,
  }
}

/** The page size asked for, checked: the engine asks for 100. */
function pageLimit(page: PageRequest): number {
  const limit = page?.limit
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new AuthError('ERR_CONFIG_INVALID', 'listBySubject: limit must be a positive integer')
  }
  return limit
}

/** A frozen copy of `record` (its nested objects too), so no caller can reach stored state. */
function freezeCopy(record: FamilyRecord): FamilyRecord {
  return Object.freeze({
    ...record,
    revocation: record.revocation === null ? null : Object.freeze({ ...record.revocation }),
    meta: Object.freeze({ ...record.meta }),
    // A deep copy: claims may nest, and nothing a caller does to its object may reach the store.
    claims: Object.freeze(structuredClone(record.claims)),
  })
}
