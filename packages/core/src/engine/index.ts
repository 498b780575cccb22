export { withStorageDeadline } from './deadline.js'
export { createEngine } from './engine.js'
export type { CompareAndSetResult, CreateResult, FamilyStore, PageRequest, SubjectPage } from './store.js'
export type {
  DpopMode,
  Engine,
  EngineOptions,
  FamilyOpResult,
  FamilySummary,
  InspectOptions,
  InspectRefreshResult,
  IssueOptions,
  RefreshOptions,
  RefreshResult,
  RevokeOptions,
  TokenPair,
  VerifyAccessOptions,
} from './types.js'
