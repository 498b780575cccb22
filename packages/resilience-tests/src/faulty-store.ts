import type { CompareAndSetResult, CreateResult, FamilyRecord, FamilyStore, PageRequest, SubjectPage } from '@auth/core'
import { AuthError } from '@auth/core'

/** The store calls a fault can hit. */
export type StoreOp = 'create' | 'get' | 'compareAndSet' | 'listBySubject'

/**
 * What happens to one store call.
 * - `fail`: the call never reaches the store and throws at once (a refused connection). `error`
 *   chooses what is thrown: a driver's typed `AuthError`, or a raw error the engine must type itself.
 * - `timeout`: the call never reaches the store and never answers; after the store's timeout the
 *   wrapper throws `ERR_STORAGE_UNAVAILABLE` (what a driver's deadline does).
 * - `slow`: the call waits `delayMs` (less than the timeout) and then succeeds.
 * - `apply_then_fail`: the call reaches the store and is applied, then the answer is lost: the
 *   caller sees an error although the write landed.
 * - `late_apply`: the caller times out first and sees an error; the call reaches the store only
 *   afterwards (a request stuck in a queue) and lands. {@link FaultyStore.settled} waits for it.
 */
export type Fault =
  | { readonly kind: 'fail'; readonly error: 'typed' | 'raw' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'apply_then_fail'; readonly error: 'typed' | 'raw' }
  | { readonly kind: 'late_apply' }

/** One store call as the plan sees it: which operation, and its index since the plan was set (0, 1, …). */
export interface StoreCall {
  readonly op: StoreOp
  readonly index: number
}

/** Decides the fault of each call (`undefined`: the call goes through untouched). */
export type FaultPlan = (call: StoreCall) => Fault | undefined

/** A record of one call and what the wrapper did to it. */
export interface CallLog {
  readonly op: StoreOp
  readonly fault: Fault | undefined
  /** Whether the call reached the inner store (for `late_apply`: once it did). */
  readonly applied: boolean
}

/** Options of {@link createFaultyStore}. */
export interface FaultyStoreOptions {
  /** The deadline a `timeout` or `late_apply` call waits before it throws. Default 5 ms. */
  readonly timeoutMs?: number
}

/** A {@link FamilyStore} that injects faults, with hands to steer it. */
export interface FaultyStore extends FamilyStore {
  /** Replaces the plan and restarts the call index at 0. */
  setPlan(plan: FaultPlan): void
  /** No more faults (the call log is kept until the next `setPlan`). */
  clear(): void
  /** The calls since the plan was last set. */
  readonly calls: readonly CallLog[]
  /**
   * Resolves once no call is running any more: every `late_apply` call has reached the inner
   * store, and every call an operation left behind when it failed (revokeAll revokes families
   * in parallel) has settled.
   */
  settled(): Promise<void>
}

/** No faults at all. */
export const noFaults: FaultPlan = () => undefined

/** A plan from a schedule: the call with index `i` gets `schedule[i]` (missing or null: no fault). */
export function faultSchedule(schedule: readonly (Fault | null | undefined)[]): FaultPlan {
  return ({ index }) => schedule[index] ?? undefined
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function injected(op: StoreOp, error: 'typed' | 'raw', what: string): Error {
  return error === 'typed'
    ? new AuthError('ERR_STORAGE_UNAVAILABLE', `injected fault: ${op} ${what}`)
    : Object.assign(new Error(`injected fault: ${op} ${what} (ECONNRESET)`), { code: 'ECONNRESET' })
}

/**
 * Wraps `inner` so that any of its calls can fail, hang past a timeout, be slow, or be applied
 * with the answer lost, as `plan` decides call by call. The inner store is never touched by a
 * call that `fail`s or times out; one that is `apply_then_fail`ed or `late_apply`ed lands in full
 * (each inner call is atomic, so a family is never half written).
 *
 * @example
 * ```ts
 * const store = createFaultyStore(createMemoryStore(), faultSchedule([null, { kind: 'apply_then_fail', error: 'raw' }]))
 * ```
 */
export function createFaultyStore(
  inner: FamilyStore,
  plan: FaultPlan = noFaults,
  options: FaultyStoreOptions = {},
): FaultyStore {
  const timeoutMs = options.timeoutMs ?? 5
  let current = plan
  let index = 0
  let calls: { op: StoreOp; fault: Fault | undefined; applied: boolean }[] = []
  /** Every call still running, in the caller's hands or (late_apply) already abandoned by it. */
  const pending = new Set<Promise<unknown>>()
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise)
    void promise.then(
      () => pending.delete(promise),
      () => pending.delete(promise),
    )
    return promise
  }

  const call = <T>(op: StoreOp, run: () => Promise<T>): Promise<T> => track(faulty(op, run))

  async function faulty<T>(op: StoreOp, run: () => Promise<T>): Promise<T> {
    const fault = current({ op, index: index++ })
    const log = { op, fault, applied: false }
    calls.push(log)
    if (fault === undefined) {
      log.applied = true
      return run()
    }
    switch (fault.kind) {
      case 'fail':
        throw injected(op, fault.error, 'refused')
      case 'timeout':
        await sleep(timeoutMs)
        throw new AuthError('ERR_STORAGE_UNAVAILABLE', `injected fault: ${op} gave no answer within ${timeoutMs} ms`)
      case 'slow':
        await sleep(fault.delayMs)
        log.applied = true
        return run()
      case 'apply_then_fail':
        log.applied = true
        await run()
        throw injected(op, fault.error, 'was applied, then the answer was lost')
      case 'late_apply': {
        await sleep(timeoutMs)
        // The caller gives up now; the stuck request reaches the store right after.
        track(
          (async () => {
            await sleep(0)
            log.applied = true
            await run().catch(() => undefined)
          })(),
        )
        throw new AuthError('ERR_STORAGE_UNAVAILABLE', `injected fault: ${op} timed out after ${timeoutMs} ms`)
      }
      default: {
        const _never: never = fault
        return _never
      }
    }
  }

  const store: FaultyStore = {
    create: (record: FamilyRecord): Promise<CreateResult> => call('create', () => inner.create(record)),
    get: (id: string): Promise<FamilyRecord | null> => call('get', () => inner.get(id)),
    compareAndSet: (id: string, expectedVersion: number, next: FamilyRecord): Promise<CompareAndSetResult> =>
      call('compareAndSet', () => inner.compareAndSet(id, expectedVersion, next)),
    listBySubject: (subject: string, page: PageRequest): Promise<SubjectPage> =>
      call('listBySubject', () => inner.listBySubject(subject, page)),
    setPlan(next) {
      current = next
      index = 0
      calls = []
    },
    clear() {
      current = noFaults
    },
    get calls() {
      return calls
    },
    async settled() {
      // A settled call may start the next one (a compare-and-set after a get) a tick later.
      do {
        while (pending.size > 0) await Promise.allSettled([...pending])
        await new Promise<void>((resolve) => setImmediate(resolve))
      } while (pending.size > 0)
    },
  }
  return store
}
