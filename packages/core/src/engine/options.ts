import { AuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'
import { createEmitter, type Emit } from '../events/index.js'
import { deriveKeyRing } from '../keys/derive.js'
import { createKeyRing } from '../keys/key-ring.js'
import type { KeyRing, KeyRingInput } from '../keys/types.js'
import { type LifetimePolicy, resolveNamedPolicies, resolvePolicy } from '../policy/policy.js'
import { emitRevocations } from '../revocation/emit-revocations.js'
import type { RevokedFamilies } from '../revocation/types.js'
import { type Clock, systemClock, systemRandom } from '../runtime.js'
import { createAccessTokenCodec } from '../tokens/access-token/index.js'
import { DEFAULT_MAX_CLAIMS_BYTES } from './claims.js'
import { guardStore } from './guarded-store.js'
import type { PairContext } from './pair.js'
import { storeAlignedClock } from './store-clock.js'
import { type EngineTelemetry, tracedStore } from './telemetry.js'
import type { DpopMode, EngineOptions } from './types.js'

const DEFAULT_MAX_RETRIES = 16

/** Every option of `createEngine`: anything else is a typo, refused with the nearest name. */
const ENGINE_OPTIONS = [
  'store',
  'issuer',
  'audience',
  'keys',
  'secret',
  'algorithm',
  'dangerouslyAllowWeakSecret',
  'policy',
  'policies',
  'clientPolicies',
  'clock',
  'alignClockToStore',
  'random',
  'onEvent',
  'telemetry',
  'accessTokenCache',
  'maxRetries',
  'defaultClientId',
  'maxClaimsBytes',
  'claims',
  'revocations',
  'dpop',
] as const satisfies readonly (keyof EngineOptions)[]
// Every key of EngineOptions is listed (a compile error otherwise).
const _everyEngineOption: Exclude<keyof EngineOptions, (typeof ENGINE_OPTIONS)[number]> extends never ? true : never =
  true

/** Names other libraries use, and the policy fields given at the top level by mistake. */
const ENGINE_ALIASES: Readonly<Record<string, string>> = {
  accessTtl: 'policy.accessTtl',
  accessTTL: 'policy.accessTtl',
  expiresIn: 'policy.accessTtl',
  refreshIdleTtl: 'policy.refreshIdleTtl',
  sessionMaxAge: 'policy.sessionMaxAge',
  reuseGrace: 'policy.reuseGrace',
  leeway: 'policy.leeway',
  graceBinding: 'policy.graceBinding',
  jwtSecret: 'secret',
  secretKey: 'secret',
  iss: 'issuer',
  aud: 'audience',
  storage: 'store',
  additionalClaims: 'claims',
  alg: 'algorithm',
}

/** The engine's options, validated and resolved once, at construction. */
export interface EngineContext extends PairContext {
  readonly store: ReturnType<typeof guardStore>
  readonly clock: Clock
  readonly emit: ReturnType<typeof createEmitter>
  /** `EngineOptions.telemetry`, checked; undefined without it (then nothing is measured). */
  readonly telemetry: EngineTelemetry | undefined
  readonly maxRetries: number
  /** `EngineOptions.maxClaimsBytes`, resolved. */
  readonly maxClaimsBytes: number
  /** `EngineOptions.defaultClientId`, resolved (default: the issuer). */
  readonly defaultClientId: string
  /** `EngineOptions.dpop`, resolved. */
  readonly dpop: DpopMode
  /** `EngineOptions.revocations`: the set `verifyAccess` checks (opt-in). */
  readonly revocations: RevokedFamilies | undefined
  /** `EngineOptions.policies`, resolved. */
  readonly policies: ReadonlyMap<string, LifetimePolicy>
  /** `EngineOptions.clientPolicies`: the named policy a client's logins get. */
  readonly clientPolicies: ReadonlyMap<string, string>
  /** The longest `sessionMaxAge` of any policy: how long a retired refresh key still verifies. */
  readonly longestSessionMaxAge: number
  /**
   * The policy every decision about `family` uses: its named one, or the default (also for a
   * name this engine no longer has: see docs/policy.md).
   */
  policyOf(family: { readonly policy: string | null }): LifetimePolicy
}

/** Validates every option of `createEngine`; throws `AuthError('ERR_CONFIG_INVALID')` naming the first bad one. */
export function resolveEngineOptions(options: EngineOptions): EngineContext {
  const bad = (message: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', `createEngine: ${message}`)
  }
  if (options === null || typeof options !== 'object') return bad('options must be an object')
  assertKnownOptions('createEngine', options, ENGINE_OPTIONS, ENGINE_ALIASES)
  const { store, issuer, audience, clock = systemClock, random = systemRandom, onEvent } = options

  for (const method of ['create', 'get', 'compareAndSet', 'listBySubject'] as const) {
    if (typeof store?.[method] !== 'function') bad(`store must implement FamilyStore (missing ${method}())`)
  }
  if (typeof issuer !== 'string' || issuer.length === 0) bad('issuer must be a non-empty string')
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? [...audience] : []
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    bad('audience must be a non-empty string or a non-empty array of them')
  }
  if (typeof clock?.now !== 'function') bad('clock must have a now() method')
  if (typeof random?.read !== 'function') bad('random must have a read(bytes) method')
  if (onEvent !== undefined && typeof onEvent !== 'function') bad('onEvent must be a function')
  if (options.claims !== undefined && typeof options.claims !== 'function') bad('claims must be a function')
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) bad('maxRetries must be a non-negative integer')
  const defaultClientId = options.defaultClientId ?? issuer
  if (!isClientId(defaultClientId)) bad('defaultClientId must be 1 to 255 characters')
  const dpop = options.dpop ?? 'off'
  if (dpop !== 'off' && dpop !== 'allowed' && dpop !== 'required') bad("dpop must be 'off', 'allowed' or 'required'")
  const maxClaimsBytes = options.maxClaimsBytes ?? DEFAULT_MAX_CLAIMS_BYTES
  if (!Number.isSafeInteger(maxClaimsBytes) || maxClaimsBytes < 2) bad('maxClaimsBytes must be a positive integer')
  const cache = options.accessTokenCache
  if (cache !== undefined && cache !== false && (cache === null || typeof cache !== 'object')) {
    bad('accessTokenCache must be false or { max }')
  }

  const revocations = options.revocations
  if (
    revocations !== undefined &&
    (typeof revocations?.check !== 'function' || typeof revocations.add !== 'function')
  ) {
    bad('revocations must come from createRevokedFamilies({ feed })')
  }
  const policy = resolvePolicy(options.policy)
  const policies = resolveNamedPolicies(options.policy, options.policies)
  const clientPolicies = new Map<string, string>()
  if (options.clientPolicies !== undefined) {
    if (options.clientPolicies === null || typeof options.clientPolicies !== 'object') {
      bad("clientPolicies must map client ids to policy names, such as { mobile: 'remembered' }")
    }
    for (const [clientId, name] of Object.entries(options.clientPolicies)) {
      if (typeof name !== 'string' || !policies.has(name)) {
        bad(
          `clientPolicies.${clientId}: ${JSON.stringify(name)} is not one of the named policies (${[...policies.keys()].join(', ') || 'none'})`,
        )
      }
      clientPolicies.set(clientId, name)
    }
  }
  const longestSessionMaxAge = Math.max(policy.sessionMaxAge, ...[...policies.values()].map((p) => p.sessionMaxAge))
  const longestAccess = [policy, ...policies.values()].reduce((a, b) => (b.accessTtl > a.accessTtl ? b : a))
  const keyRing = resolveKeys(options, bad)
  const telemetry = options.telemetry
  if (
    telemetry !== undefined &&
    (telemetry === null ||
      typeof telemetry !== 'object' ||
      (['run', 'store', 'verified', 'event'] as const).some((m) => typeof telemetry[m] !== 'function'))
  ) {
    bad("telemetry must be an EngineTelemetry: otel() from '@auth/core/otel'")
  }
  const guarded = telemetry === undefined ? guardStore(store) : tracedStore(guardStore(store), telemetry)
  // A test's injected clock is the truth; the system clock follows the store's when it has one.
  const align = options.alignClockToStore ?? options.clock === undefined
  if (typeof align !== 'boolean') bad('alignClockToStore must be a boolean')
  const storeNow = guarded.now
  const engineClock = align && storeNow !== undefined ? storeAlignedClock(clock, storeNow) : clock
  const codec = createAccessTokenCodec({
    keyRing,
    issuer,
    audience: typeof audience === 'string' ? audience : audiences,
    leeway: policy.leeway,
    clock: engineClock,
    ...(cache === undefined ? {} : { cache }),
  })
  return {
    store: guarded,
    clock: engineClock,
    random,
    emit: withTelemetry(
      revocations === undefined
        ? createEmitter(onEvent)
        : // An entry must outlive the longest access token any policy issues.
          emitRevocations(createEmitter(onEvent), revocations, longestAccess),
      telemetry,
    ),
    telemetry,
    revocations,
    maxRetries,
    maxClaimsBytes,
    defaultClientId,
    dpop,
    policy,
    policies,
    clientPolicies,
    longestSessionMaxAge,
    policyOf: (family) => (family.policy === null ? policy : (policies.get(family.policy) ?? policy)),
    keyRing,
    codec,
    issuer,
    audience: typeof audience === 'string' ? audience : audiences,
    claimsLoader: options.claims,
  }
}

function resolveKeys(options: EngineOptions, bad: (message: string) => never): KeyRing {
  const { keys, secret, algorithm } = options
  if (keys !== undefined && secret !== undefined) bad('give keys or secret, not both')
  const allowWeak = options.dangerouslyAllowWeakSecret ?? false
  if (typeof allowWeak !== 'boolean') bad('dangerouslyAllowWeakSecret must be a boolean')
  if (secret !== undefined) {
    try {
      return deriveKeyRing(secret, {
        ...(algorithm === undefined ? {} : { alg: algorithm }),
        dangerouslyAllowWeakSecret: allowWeak,
      })
    } catch (error) {
      // Name the engine's option, as every other refusal here does.
      if (error instanceof AuthError) bad(error.message)
      throw error
    }
  }
  if (algorithm !== undefined) bad('algorithm applies only with secret; with keys, each key names its alg')
  if (keys === undefined) return bad('give keys (production) or secret (quick start)')
  if (keys === null || typeof keys !== 'object') return bad('keys must be a key ring or a KeyRingInput')
  return isKeyRing(keys) ? keys : createKeyRing(keys)
}

/** A client id as the record and the `client_id` claim hold it: 1 to 255 characters. */
export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 255
}

function isKeyRing(keys: KeyRingInput | KeyRing): keys is KeyRing {
  return typeof (keys as KeyRing).refreshKey === 'function' && typeof (keys as KeyRing).jwks === 'function'
}

/** The emitter that also tells telemetry (which must not throw: it is called first, guarded). */
function withTelemetry(emit: Emit, telemetry: EngineTelemetry | undefined): Emit {
  if (telemetry === undefined) return emit
  return (event) => {
    try {
      telemetry.event(event)
    } catch {
      // Telemetry never breaks a request.
    }
    emit(event)
  }
}
