import type { FamilyRecord, FamilyStore } from '@auth/core'
import type { ManualClock } from '@auth/core/testing'

/** The suites, each of which a driver may opt out of (with a reason). */
export const SUITE_NAMES = ['contract', 'expiry', 'races', 'corrupt', 'engine', 'model'] as const

/** One of {@link SUITE_NAMES}. */
export type SuiteName = (typeof SUITE_NAMES)[number]

/**
 * How the records a driver holds disappear:
 * - `'native'`: on their own, in real (wall-clock) time, once `idleExpiresAt` has passed
 *   (Redis `PEXPIREAT`, a database TTL). The suite waits a second or two of real time.
 * - `'clock'`: lazily, by the {@link ConformanceContext.clock} the driver was given in `setup`
 *   (like `@auth/storage-memory`). The suite moves that clock.
 * - `'purge'`: only when `purgeExpired(now)` is called (SQL). The suite calls it with a chosen `now`.
 *
 * Whatever the mode, a driver that has `purgeExpired` also runs the purge tests.
 */
export type ExpiryMode = 'native' | 'clock' | 'purge'

/**
 * How {@link StoreInspector.corrupt} should spoil a record. A driver writes the closest thing
 * its storage can hold; where its schema cannot hold a kind (a typed column cannot hold a string
 * where a number belongs), it writes any other corruption of the same record.
 * - `'garbage'`: bytes that are not a record at all (not JSON, a wrong Redis type…).
 * - `'missing_field'`: a record with a required field (e.g. `nonce`) missing or NULL.
 * - `'wrong_type'`: a record with a field of the wrong type (e.g. `generation: "7"`, `status: "maybe"`).
 * - `'unknown_field'`: a record with a field this version does not know, holding a value (what a
 *   newer version would write); the driver must refuse it rather than drop the field.
 */
export type CorruptionKind = 'garbage' | 'missing_field' | 'wrong_type' | 'unknown_field'

/**
 * The side channel that reads and writes the backing storage directly, bypassing the driver's
 * own methods. The suite uses it to check what was really persisted, and to plant bad data.
 */
export interface StoreInspector {
  /**
   * The record as it is persisted under `id`, decoded independently of the driver's `get` where
   * possible: `null` when nothing is stored, `'corrupt'` when what is stored does not decode to
   * a valid record.
   */
  raw(id: string): Promise<FamilyRecord | null | 'corrupt'>
  /**
   * Overwrites the stored record `id` (which exists) with data the driver would never write,
   * keeping it findable by its id and subject (e.g. still in the subject index). The second
   * argument says which kind; a driver may ignore it if it can write only one kind.
   */
  corrupt(id: string, kind: CorruptionKind): Promise<void>
  /**
   * Optional: how many entries the subject's index holds, counted in the storage itself (Redis
   * `ZCARD`, SQL `COUNT(*)` of the rows that are not revoked), not through `listBySubject`. The
   * capacity tests use it to show that revoked and evicted families leave the index.
   */
  indexed?(subject: string): Promise<number>
}

/** What `setup` hands the suite: a fresh, empty, isolated store and its side channel. */
export interface ConformanceHarness {
  /** The driver under test. It must be empty and no other test may use its storage concurrently. */
  readonly store: FamilyStore
  readonly inspect: StoreInspector
  /** Deletes everything the test wrote and closes what setup opened. Called after every test. */
  cleanup(): Promise<void>
}

/** What the suite hands `setup`. */
export interface ConformanceContext {
  /**
   * The suite's clock, starting at the real `Date.now()` of the test and moving only when the
   * suite advances it. Records are stamped with its time. A driver whose expiry reads a clock
   * (`expiry: 'clock'`) must read this one; others ignore it.
   */
  readonly clock: ManualClock
}

/** Options of {@link runStoreConformance} and of each suite function. */
export interface ConformanceOptions {
  /** Shown in every `describe` title, e.g. `'redis'` or `'postgres'`. */
  readonly name: string
  /** Builds a fresh, empty store for one test. Called once per test; `cleanup` runs after it. */
  readonly setup: (context: ConformanceContext) => Promise<ConformanceHarness>
  /** How records disappear after `idleExpiresAt`; see {@link ExpiryMode}. */
  readonly expiry: ExpiryMode
  /**
   * Suites this driver opts out of, each with the reason, which is printed when the suite is
   * registered. An opted-out suite registers no tests at all (so it is not counted as skipped).
   */
  readonly skip?: Partial<Record<SuiteName, string>>
  /**
   * The store talks to a server over a network (Redis, PostgreSQL…): property and model runs use
   * fewer iterations so that the suite stays within a CI budget. Default false.
   */
  readonly network?: boolean
}
