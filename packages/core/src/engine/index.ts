export { withStorageDeadline } from './deadline.js'
export { createEngine } from './engine.js'
export type { CompareAndSetResult, CreateResult, FamilyStore } from './store.js'
export type {
  AccessClaims,
  Clock,
  Engine,
  EngineOptions,
  FamilyOpResult,
  FamilySummary,
  InspectRefreshResult,
  IssueOptions,
  RandomReader,
  RefreshOptions,
  RefreshResult,
  TokenPair,
  VerifyAccessOptions,
  VerifyAccessResult,
} from './types.js'
export { RESERVED_CLAIMS } from './types.js'
