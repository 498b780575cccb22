export type { NewFamily } from './decide.js'
export { createFamilyRecord, decide } from './decide.js'
export type {
  Decide,
  Decision,
  FamilyEvent,
  FamilyMeta,
  FamilyRecord,
  FamilyStatus,
  RevocationReason,
} from './types.js'
