// What the engine tells a telemetry backend (`createEngine({ telemetry })`), without depending on
// one: `@auth/core/otel` turns it into OpenTelemetry metrics and spans. Without `telemetry`,
// nothing here runs: the engine calls the store and answers exactly as before.
import type { AuthEvent } from '../events/index.js'
import type { GuardedStore } from './guarded-store.js'

/** The store calls the engine makes, as telemetry names them. */
export type StoreOperation = 'create' | 'get' | 'compareAndSet' | 'listBySubject' | 'check' | 'now'

/** How a refresh ended, as its counter and histogram say it. */
export type RefreshDecision = 'rotated' | 'replayed' | 'reuse_detected' | 'expired' | 'rejected'

/** What an operation came to: its low-cardinality outcome, and the family for spans only. */
export interface OperationOutcome {
  readonly outcome: string
  readonly familyId?: string | undefined
  readonly subject?: string | undefined
}

/**
 * A telemetry backend for the engine. Every method must be cheap and must not throw; `run` and
 * `store` must call `fn` exactly once and hand back its result or its error unchanged.
 */
export interface EngineTelemetry {
  /** Runs `issue` or `refresh` (its store calls inside it); `outcome` names the result. */
  run<T>(operation: 'issue' | 'refresh', fn: () => Promise<T>, outcome: (value: T) => OperationOutcome): Promise<T>
  /** Runs one store call. A thrown error is an outage (`ERR_STORAGE_*`). */
  store<T>(operation: StoreOperation, fn: () => Promise<T>): Promise<T>
  /** An access-token verification's result: `'ok'` or the error code. On the guard's hot path. */
  verified(result: string): void
  /** Every event the engine raises (revocations by reason, reuse alarms). */
  event(event: AuthEvent): void
}

/** The store with every call run through `telemetry.store`. */
export function tracedStore(store: GuardedStore, telemetry: EngineTelemetry): GuardedStore {
  const now = store.now
  return {
    check: () => telemetry.store('check', () => store.check()),
    create: (record) => telemetry.store('create', () => store.create(record)),
    get: (id) => telemetry.store('get', () => store.get(id)),
    compareAndSet: (id, version, next) =>
      telemetry.store('compareAndSet', () => store.compareAndSet(id, version, next)),
    listBySubject: (subject, page) => telemetry.store('listBySubject', () => store.listBySubject(subject, page)),
    ...(now === undefined ? {} : { now: () => telemetry.store('now', () => now()) }),
  }
}
