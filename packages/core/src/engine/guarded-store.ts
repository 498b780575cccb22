import { AuthError, isAuthError } from '../errors/index.js'
import { familyRecordProblem } from '../machine/record.js'
import type { FamilyRecord } from '../machine/types.js'
import type { CompareAndSetResult, CreateResult, FamilyStore } from './store.js'

/**
 * The store as the engine calls it: every failure of the driver surfaces as an `AuthError`
 * (a driver's own `AuthError` passes through; anything else becomes `ERR_STORAGE_UNAVAILABLE`
 * with the original as `cause`), and answers that cannot be right fail closed as
 * `ERR_STORAGE_CORRUPT`.
 */
export type GuardedStore = Required<Pick<FamilyStore, 'create' | 'get' | 'compareAndSet' | 'listBySubject' | 'check'>> &
  Pick<FamilyStore, 'now'>

/** Wraps `store` (see {@link GuardedStore}). */
export function guardStore(store: FamilyStore): GuardedStore {
  return {
    check: () =>
      store.check === undefined ? Promise.resolve() : call('check', () => store.check?.() ?? Promise.resolve()),
    create: (record) => call('create', () => store.create(record), checkCreateResult),
    ...(store.now === undefined
      ? {}
      : {
          now: () =>
            call(
              'now',
              () => store.now?.() ?? Promise.resolve(Number.NaN),
              (value) => {
                if (!Number.isSafeInteger(value)) throw corrupt(`now returned ${String(value)}, not epoch milliseconds`)
              },
            ),
        }),
    async get(id) {
      const record = await call('get', () => store.get(id))
      if (record === null) return null
      checkRecord(record, 'get')
      if (record.id !== id) throw corrupt(`get(${JSON.stringify(id)}) returned another family's record`)
      return record
    },
    compareAndSet: (id, expectedVersion, next) =>
      call('compareAndSet', () => store.compareAndSet(id, expectedVersion, next), checkWriteResult),
    async listBySubject(subject, page) {
      const answer = await call('listBySubject', () => store.listBySubject(subject, page))
      const records: unknown = answer?.records
      const cursor: unknown = answer?.cursor
      if (!Array.isArray(records) || !(cursor === null || (typeof cursor === 'string' && cursor !== ''))) {
        throw corrupt('listBySubject did not return { records: [...], cursor: string | null }')
      }
      if (cursor !== null && cursor === page.cursor) {
        throw corrupt('listBySubject returned the cursor it was given: the walk would never end')
      }
      for (const record of records as FamilyRecord[]) {
        checkRecord(record, 'listBySubject')
        if (record.subject !== subject) throw corrupt("listBySubject returned another subject's family")
      }
      return answer
    },
  }
}

async function call<T>(op: string, run: () => Promise<T>, check?: (value: T, op: string) => void): Promise<T> {
  let value: T
  try {
    value = await run()
  } catch (error) {
    if (isAuthError(error)) throw error
    throw new AuthError('ERR_STORAGE_UNAVAILABLE', `storage ${op} failed`, { cause: error })
  }
  check?.(value, op)
  return value
}

function checkWriteResult(value: CreateResult | CompareAndSetResult, op: string): void {
  if (value === null || typeof value !== 'object' || typeof value.ok !== 'boolean') {
    throw corrupt(`${op} returned ${String(value)} instead of { ok }`)
  }
}

function checkCreateResult(value: CreateResult, op: string): void {
  checkWriteResult(value, op)
  if (value.ok && !(Number.isSafeInteger(value.families) && value.families >= 1)) {
    throw corrupt(`${op} returned { ok: true } without families (how many the subject's index now holds, at least 1)`)
  }
}

/** The one record validator (machine/record): what every driver returns is checked before `decide` sees it. */
function checkRecord(record: FamilyRecord, op: string): void {
  const problem = familyRecordProblem(record)
  if (problem !== null) throw corrupt(`${op} returned a record that is not a family record (bad ${problem})`)
}

function corrupt(message: string): AuthError {
  return new AuthError('ERR_STORAGE_CORRUPT', `storage: ${message}`)
}
