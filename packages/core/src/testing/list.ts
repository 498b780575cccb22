import type { FamilyStore, SubjectPage } from '../engine/store.js'
import type { FamilyRecord } from '../machine/types.js'

/**
 * Every record `store.listBySubject` gives for `subject`, walking its pages of `limit` as the
 * engine does (each id once, in the order first seen). Throws on an answer that is not a page, or
 * on a walk that has no last page within `maxPages`.
 */
export async function listAllBySubject(
  store: Pick<FamilyStore, 'listBySubject'>,
  subject: string,
  limit = 100,
  maxPages = 10_000,
): Promise<FamilyRecord[]> {
  const out = new Map<string, FamilyRecord>()
  let cursor: string | null = null
  for (let pages = 0; pages < maxPages; pages++) {
    const page: SubjectPage = await store.listBySubject(subject, { limit, cursor })
    if (
      !Array.isArray(page?.records) ||
      !(page.cursor === null || (typeof page.cursor === 'string' && page.cursor !== ''))
    ) {
      throw new Error(
        `listBySubject(${JSON.stringify(subject)}) did not answer { records: [...], cursor: string | null }`,
      )
    }
    for (const record of page.records) if (!out.has(record.id)) out.set(record.id, record)
    if (page.cursor === null) return [...out.values()]
    cursor = page.cursor
  }
  throw new Error(`listBySubject(${JSON.stringify(subject)}): no last page after ${maxPages} pages`)
}
