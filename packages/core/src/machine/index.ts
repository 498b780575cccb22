export type {
  Decide,
  Decision,
  FamilyEvent,
  FamilyMeta,
  FamilyRecord,
  FamilyStatus,
  RevocationReason,
} from './types.js'
