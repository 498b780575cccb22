import type { FamilyRecord } from '../machine/types.js'

/** Result of {@link FamilyStore.compareAndSet}. A lost race is a value, never an exception. */
export type CompareAndSetResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'conflict' | 'not_found' }

/**
 * Result of {@link FamilyStore.create}. `families` is how many families the subject's index holds
 * now, this one included: a count the driver has at hand (a set's cardinality, one indexed
 * `COUNT`), which may over-count (expired families not yet dropped, revoked ones whose index entry
 * is still being removed) but never under-counts. The engine compares it with the policy's
 * `maxFamiliesPerSubject` and only pages through the subject when it is above.
 */
export type CreateResult =
  | { readonly ok: true; readonly families: number }
  | { readonly ok: false; readonly reason: 'exists' }

/** What {@link FamilyStore.listBySubject} is asked for: one page. */
export interface PageRequest {
  /** How many records the engine wants in this page (the engine asks for 100). */
  readonly limit: number
  /** The previous page's `cursor`; absent or null for the first page. */
  readonly cursor?: string | null
}

/** One page of a subject's families. */
export interface SubjectPage {
  /**
   * About `limit` records (a driver may return somewhat more when its native paging says so, as
   * Redis's `ZSCAN` does for small sets; never the whole subject regardless of `limit`).
   */
  readonly records: readonly FamilyRecord[]
  /** Pass it back for the next page; null when this was the last one. */
  readonly cursor: string | null
}

/**
 * The storage contract. A driver is dumb and atomic: it holds no rules (those live in the
 * engine) and every method is a single atomic operation.
 *
 * Failures of the backing store (connection lost, timeout) must be thrown as
 * `AuthError('ERR_STORAGE_UNAVAILABLE', …, { cause })`; a record that cannot be decoded must be
 * thrown as `AuthError('ERR_STORAGE_CORRUPT', …)`. Nothing may hang: every call has a timeout.
 * Nothing may be swallowed: never `catch { return null }`.
 *
 * Expiry: a driver keeps a record at least until its `idleExpiresAt` and may drop it at any
 * time after (native TTL, or `purgeExpired`). It never drops a record earlier.
 */
export interface FamilyStore {
  /**
   * Inserts a new record (its `version` is 1). Atomic: under concurrent creates of one id,
   * exactly one returns `{ ok: true }`; the others `{ ok: false, reason: 'exists' }`.
   */
  create(record: FamilyRecord): Promise<CreateResult>
  /** The record as last written, or null if it never existed or has expired away. */
  get(id: string): Promise<FamilyRecord | null>
  /**
   * Replaces the record with `next` if and only if its stored `version` equals
   * `expectedVersion` (the engine passes `next.version === expectedVersion + 1`).
   * Atomic: under N concurrent calls with the same `expectedVersion`, exactly one returns
   * `{ ok: true }` and N-1 return `{ ok: false, reason: 'conflict' }`. A missing record gives
   * `'not_found'`. The stored `subject` and `id` never change.
   */
  compareAndSet(id: string, expectedVersion: number, next: FamilyRecord): Promise<CompareAndSetResult>
  /**
   * One page of the subject's index: the families of `subject` that have not been revoked.
   *
   * - A compare-and-set that writes `status: 'revoked'` removes the family from the index before
   *   it answers (the record itself stays readable by `get` until it expires: reuse detection and
   *   the revocation reason need it). A listing may still return an expired record, or a revoked
   *   one whose removal a crash interrupted; the engine skips both.
   * - Each page is one bounded call under the driver's deadline: a subject with 150,000 families
   *   is walked in 1,500 calls, none of which reads them all.
   * - Stable under concurrent revocation: a family that is in the index for the whole walk is
   *   returned at least once (more than once is allowed). A family created during the walk may
   *   or may not be.
   */
  listBySubject(subject: string, page: PageRequest): Promise<SubjectPage>
  /**
   * Deletes records whose `idleExpiresAt` is at or before `now`, in batches of at most
   * `batchSize`; returns how many were deleted. Drivers with native TTL may omit it.
   */
  purgeExpired?(now: number, options?: { batchSize?: number }): Promise<number>
  /**
   * The start-up check (`engine.check()` calls it): resolves when the store is reachable and ready
   * (migrated, for SQL); otherwise throws `AuthError` with the fix in the message:
   * `ERR_CONFIG_INVALID` for what a deploy must fix (not migrated), `ERR_STORAGE_UNAVAILABLE` for
   * an outage. Optional; a driver without it is assumed ready.
   */
  check?(): Promise<void>
  /**
   * The store's clock, epoch milliseconds (Redis `TIME`, the database's `now()`). Optional. When
   * present, an engine on the system clock decides in the store's time (measuring its offset
   * once a minute), so nodes whose clocks disagree still agree on every grace window.
   */
  now?(): Promise<number>
  /** Releases connections the driver opened itself (never ones the user passed in). */
  close?(): Promise<void>
}
