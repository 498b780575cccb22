import { AuthError } from '../errors/index.js'
import type { FamilyRecord } from '../machine/types.js'
import type { GuardedStore } from './guarded-store.js'

/**
 * What to do with the family as last read: write `next` (compare-and-set on the version that was
 * read) and then run `after`, or finish without writing. `after` and `finish` run only once the
 * loop is over, so nothing (no token, no event) escapes from an attempt that lost its race.
 */
export type Plan<R> =
  | { readonly write: FamilyRecord; readonly after: (written: FamilyRecord) => R | Promise<R> }
  | { readonly finish: () => R | Promise<R> }

/**
 * The engine's only write path: read (already done by the caller: `family`), decide (`plan`),
 * compare-and-set; on a lost race re-read and decide again, at most `maxRetries` times, then
 * throw `AuthError('ERR_STORAGE_CONFLICT')`. If the family disappears meanwhile (expired away),
 * the result is `gone()`.
 */
export async function writeWithRetry<R>(
  store: GuardedStore,
  family: FamilyRecord,
  plan: (family: FamilyRecord) => Plan<R>,
  gone: () => R,
  maxRetries: number,
): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    const step = plan(family)
    if ('finish' in step) return step.finish()
    const result = await store.compareAndSet(family.id, family.version, step.write)
    if (result.ok) return step.after(step.write)
    if (attempt >= maxRetries) {
      throw new AuthError(
        'ERR_STORAGE_CONFLICT',
        `family ${family.id}: lost ${attempt + 1} compare-and-set races in a row; giving up`,
      )
    }
    const again = await store.get(family.id)
    if (again === null) return gone()
    family = again
  }
}
