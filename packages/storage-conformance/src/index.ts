export { SUITE_POLICY } from './engine-harness.js'
export type { TestHarness } from './harness.js'
export { makeRecord, newFamilyId, newSubject, recordArb, revoke, rotate } from './records.js'
export { runStoreConformance } from './run.js'
export { contractSuite } from './suites/contract.js'
export { corruptSuite } from './suites/corrupt.js'
export { engineSuite } from './suites/engine.js'
export { expirySuite } from './suites/expiry.js'
export { modelSuite } from './suites/model.js'
export { RACERS, racesSuite } from './suites/races.js'
export {
  type FeedNode,
  type RevocationFeedDriver,
  type RevokeWay,
  revocationFeedSuite,
} from './suites/revocation-feed.js'
export type {
  ConformanceContext,
  ConformanceHarness,
  ConformanceOptions,
  CorruptionKind,
  ExpiryMode,
  StoreInspector,
  SuiteName,
} from './types.js'
export { SUITE_NAMES } from './types.js'
