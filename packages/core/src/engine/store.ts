import type { FamilyRecord } from '../machine/types.js'

/** Result of {@link FamilyStore.compareAndSet}. A lost race is a value, never an exception. */
export type CompareAndSetResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'conflict' | 'not_found' }

/** Result of {@link FamilyStore.create}. */
export type CreateResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'exists' }

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
  /** Every stored record of `subject` (active and revoked, not yet expired away), in any order. */
  listBySubject(subject: string): Promise<FamilyRecord[]>
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
  /** Releases connections the driver opened itself (never ones the user passed in). */
  close?(): Promise<void>
}
