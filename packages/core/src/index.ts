// @auth/core: the public surface, named one by one in DESIGN.md's words. Deeper layers have
// their own subpaths: `@auth/core/machine` (the pure rules), `@auth/core/tokens` (the codecs),
// `@auth/core/http` (the framework-neutral HTTP layer), `@auth/core/errors` and
// `@auth/core/testing`.

// The engine: issue, refresh, revoke, verify.
// The family record and the storage contract (for driver authors).
export {
  type CompareAndSetResult,
  type CreateResult,
  createEngine,
  type DpopMode,
  type Engine,
  type EngineOptions,
  type FamilyOpResult,
  type FamilyStore,
  type FamilySummary,
  type InspectOptions,
  type InspectRefreshResult,
  type IssueOptions,
  type PageRequest,
  type RefreshOptions,
  type RefreshResult,
  type RevokeOptions,
  type SubjectPage,
  type TokenPair,
  type VerifyAccessOptions,
  withStorageDeadline,
} from './engine/index.js'
export type {
  EngineTelemetry,
  OperationOutcome,
  RefreshDecision,
  StoreOperation,
} from './engine/telemetry.js'
// Errors and events.
export {
  type AccessTokenErrorCode,
  AUTH_ERROR_CODES,
  AuthError,
  type AuthErrorCode,
  type Failure,
  isAuthError,
  type RefreshErrorCode,
} from './errors/index.js'
export { assertKnownOptions } from './errors/options.js'
export type { AuthEvent, AuthEventHandler, RequestContext } from './events/index.js'
// Keys.
export {
  createKeyRing,
  type DeriveKeyRingOptions,
  deriveKeyRing,
  type JWKS,
  type KeyRing,
  type KeyRingInput,
  MIN_DERIVE_SECRET_LENGTH,
  MIN_RSA_BITS,
  MIN_SECRET_BYTES,
  type RefreshKeyInput,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type SigningKey,
  type SigningKeyInput,
} from './keys/index.js'
export {
  FAMILY_RECORD_FIELDS,
  FAMILY_STATUSES,
  type FamilyClaims,
  type FamilyMeta,
  type FamilyRecord,
  type FamilyStatus,
  familyRecordProblem,
  REVOCATION_REASONS,
  type RevocationReason,
} from './machine/index.js'
// The lifetime policy.
export {
  DEFAULT_POLICY,
  type Duration,
  GRACE_BINDINGS,
  type GraceBinding,
  type LifetimePolicy,
  type PolicyInput,
  parseDuration,
  resolvePolicy,
} from './policy/index.js'
// Revocation that reaches every node.
export {
  createLocalRevocationFeed,
  createRevokedFamilies,
  DEFAULT_REVOCATION_STALENESS,
  type LocalRevocationFeed,
  type LocalRevocationFeedOptions,
  type RevocationFeed,
  type RevocationFeedState,
  type RevocationStatus,
  type RevokedEntry,
  type RevokedFamilies,
  type RevokedFamiliesOptions,
} from './revocation/index.js'
// Time and randomness.
export { type Clock, type RandomReader, systemClock } from './runtime.js'
export { type AccessClaims, RESERVED_CLAIMS, type VerifyAccessResult } from './tokens/index.js'
