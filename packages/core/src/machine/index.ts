export { decide } from './decide.js'
export {
  absoluteExpiry,
  absoluteExpiryOf,
  accessTokenExpiry,
  type ExpiryKind,
  expiryAt,
  idleExpiry,
  idleExpiryOf,
  inGraceWindow,
  isFresh,
  isLive,
  revocationHorizon,
  sessionExpiry,
} from './lifetime.js'
export { createFamilyRecord, familyRecordProblem, isMetaValue, metaProblem, type NewFamily } from './record.js'
export {
  type Decide,
  type Decision,
  FAMILY_RECORD_FIELDS,
  FAMILY_STATUSES,
  type FamilyClaims,
  type FamilyEvent,
  type FamilyMeta,
  type FamilyRecord,
  type FamilyStatus,
  REVOCATION_REASONS,
  type RevocationReason,
} from './types.js'
