import { AuthError, isAuthError } from '../errors/index.js'
import type { RequestContext } from '../events/index.js'
import { isLive } from '../machine/lifetime.js'
import type { FamilyRecord, RevocationReason } from '../machine/types.js'
import { revokeFamily } from './family-ops.js'
import type { EngineContext } from './options.js'

/** How many families the engine asks the store for per page. */
export const PAGE_SIZE = 100

/**
 * Walks the subject's index page by page, each page one store call under the driver's deadline,
 * handing `visit` each family once (a driver may repeat one across pages; it is skipped).
 */
export async function walkSubject(
  ctx: EngineContext,
  subject: string,
  visit: (families: readonly FamilyRecord[]) => Promise<void>,
): Promise<void> {
  const seen = new Set<string>()
  let cursor: string | null = null
  do {
    const page = await ctx.store.listBySubject(subject, { limit: PAGE_SIZE, cursor })
    const fresh = page.records.filter((family) => !seen.has(family.id))
    for (const family of fresh) seen.add(family.id)
    await visit(fresh)
    cursor = page.cursor
  } while (cursor !== null)
}

/** The subject's families that can still refresh (active, before both expiries), every page read. */
export async function liveFamilies(ctx: EngineContext, subject: unknown): Promise<FamilyRecord[]> {
  if (typeof subject !== 'string' || subject.length === 0) return []
  const live: FamilyRecord[] = []
  await walkSubject(ctx, subject, async (families) => {
    const now = ctx.clock.now()
    for (const family of families) if (isLive(family, now, ctx.policyOf(family))) live.push(family)
  })
  return live
}

/**
 * `engine.revokeAll`: revokes the subject's live families a page at a time (the page's
 * revocations run together and all settle before the next page is read). It answers only when
 * every page is done. An outage part-way throws `ERR_STORAGE_UNAVAILABLE` saying how many were
 * revoked; the families revoked so far stay revoked and leave the index, so calling it again
 * finishes the job. A family created while it runs may escape it (see docs/storage/writing-a-driver.md).
 */
export async function revokeAllOf(
  ctx: EngineContext,
  subject: unknown,
  reason: RevocationReason,
  context?: RequestContext,
): Promise<{ revoked: number }> {
  if (typeof subject !== 'string' || subject.length === 0) return { revoked: 0 }
  let revoked = 0
  try {
    await walkSubject(ctx, subject, async (families) => {
      const now = ctx.clock.now()
      const live = families.filter((family) => isLive(family, now, ctx.policyOf(family)))
      revoked += await revokeEach(ctx, live, () => reason, context)
    })
  } catch (error) {
    if (!isAuthError(error) || error.code !== 'ERR_STORAGE_UNAVAILABLE') throw error
    throw new AuthError(
      'ERR_STORAGE_UNAVAILABLE',
      `revokeAll: revoked ${revoked} ${revoked === 1 ? 'family' : 'families'} of the subject, then the store failed (${error.message}); call revokeAll again to finish`,
      { cause: error },
    )
  }
  return { revoked }
}

/**
 * After `created` was stored and the store counted `families` for its subject: when that is
 * above `maxFamiliesPerSubject`, ends the oldest of the subject's families through the same
 * client (families of no client are one client) until the cap holds again. Expired ones go
 * first (reason `expired`), then the least recently used (reason `evicted`); `created` itself
 * never. Each ending is a revocation with its `revoked` event, so the revocation feed carries it.
 *
 * Concurrent logins of one subject may each see a count below the cap before either is stored;
 * the cap is then exceeded by at most the number of logins in flight at once, until the next
 * login of that subject trims it again.
 */
export async function evictBeyondCap(
  ctx: EngineContext,
  created: FamilyRecord,
  families: number,
  context?: RequestContext,
): Promise<void> {
  const cap = ctx.policy.maxFamiliesPerSubject
  if (families <= cap) return
  const others: FamilyRecord[] = []
  await walkSubject(ctx, created.subject, async (page) => {
    for (const family of page) {
      if (family.id !== created.id && family.status === 'active' && family.clientId === created.clientId) {
        others.push(family)
      }
    }
  })
  const excess = others.length + 1 - cap
  if (excess <= 0) return
  const now = ctx.clock.now()
  const expired = (family: FamilyRecord) => !isLive(family, now, ctx.policyOf(family))
  // Expired first, then least recently used; ties by id so concurrent logins pick the same ones.
  others.sort(
    (a, b) =>
      Number(expired(b)) - Number(expired(a)) ||
      a.lastUsedAt - b.lastUsedAt ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )
  await revokeEach(ctx, others.slice(0, excess), (family) => (expired(family) ? 'expired' : 'evicted'), context)
}

/**
 * Revokes `families` together; every revocation settles before an outage is reported, so none
 * is left racing in the background. Returns how many this call ended (an already revoked one
 * does not count).
 */
async function revokeEach(
  ctx: EngineContext,
  families: readonly FamilyRecord[],
  reasonOf: (family: FamilyRecord) => RevocationReason,
  context: RequestContext | undefined,
): Promise<number> {
  const settled = await Promise.allSettled(
    families.map((family) => revokeFamily(ctx, family, reasonOf(family), context)),
  )
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return settled.filter((result) => result.status === 'fulfilled' && result.value.ok).length
}
