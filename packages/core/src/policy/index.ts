export {
  DEFAULT_POLICY,
  type Duration,
  GRACE_BINDINGS,
  type GraceBinding,
  type LifetimePolicy,
  type PolicyInput,
  parseDuration,
  resolveNamedPolicies,
  resolvePolicy,
} from './policy.js'
