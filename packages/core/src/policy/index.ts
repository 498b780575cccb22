export type { Duration, GraceBinding, LifetimePolicy, PolicyInput } from './policy.js'
export { DEFAULT_POLICY, parseDuration, resolvePolicy } from './policy.js'
