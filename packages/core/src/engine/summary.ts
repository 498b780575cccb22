import type { FamilyRecord } from '../machine/types.js'
import type { FamilySummary } from './types.js'

/** A family as its owner may see it: no nonce, no version, no binding. */
export function toSummary(family: FamilyRecord): FamilySummary {
  return {
    id: family.id,
    subject: family.subject,
    generation: family.generation,
    status: family.status,
    revocation: family.revocation,
    createdAt: family.createdAt,
    authTime: family.authTime,
    lastUsedAt: family.lastUsedAt,
    expiresAt: family.expiresAt,
    idleExpiresAt: family.idleExpiresAt,
    meta: family.meta,
  }
}
