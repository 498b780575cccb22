import ms from 'ms'
import { AuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'

/** A duration: seconds as a number, or a string such as `'15m'`, `'30d'`, `'10s'` (the `ms` package's syntax). */
export type Duration = number | string

/**
 * What a grace-window replay must match to count as the same client (see DESIGN.md):
 * - `'none'`: any presenter inside the window gets the successor.
 * - `'user_agent'`: the `User-Agent` of the replay must equal the rotating request's.
 * - `'device_id'`: a device id the client sends (header `x-device-id`) must match.
 * There is no `'dpop'` binding: a DPoP-bound family (`createEngine({ dpop })`) needs a proof by its
 * key for every refresh, inside the grace window too, which is stronger than any replay binding.
 * Under any binding but `'none'`, a refresh of the current generation without a binding value is
 * refused (`ERR_REFRESH_BINDING_MISSING`), and a replay without one is reuse. A replay from another
 * binding counts as reuse and revokes the family.
 */
export const GRACE_BINDINGS = ['none', 'user_agent', 'device_id'] as const

/** One of {@link GRACE_BINDINGS}. */
export type GraceBinding = (typeof GRACE_BINDINGS)[number]

/** The lifetime policy as the user writes it. Every field is optional. */
export interface PolicyInput {
  /** Lifetime of an access token. Default `'15m'`. */
  accessTtl?: Duration
  /** A family dies when unused this long. Default `'7d'`. */
  refreshIdleTtl?: Duration
  /** A family dies this long after login, however active. Default `'30d'`. */
  sessionMaxAge?: Duration
  /** After a rotation, the previous generation may be presented again this long. Default `'10s'`. */
  reuseGrace?: Duration
  /** Clock skew tolerated when checking `exp`/`iat` of access tokens. Default `'5s'`. */
  leeway?: Duration
  /** What binds a grace replay to the rotating client. Default `'user_agent'`. */
  graceBinding?: GraceBinding
  /**
   * How many live families one subject may have through one client (families of no client count
   * as one client). A login beyond it ends the oldest first: expired ones, then the least
   * recently used, revoked with reason `'evicted'`. Default 100; `Infinity` turns the cap off.
   */
  maxFamiliesPerSubject?: number
  /**
   * Cookie transport: set the cookies without `Max-Age`, so the browser drops them when it
   * closes (what an unticked "remember me" means to users). The family still lives by the
   * durations above. Default false.
   */
  sessionCookies?: boolean
}

/** The resolved policy: every duration in milliseconds, validated. */
export interface LifetimePolicy {
  readonly accessTtl: number
  readonly refreshIdleTtl: number
  readonly sessionMaxAge: number
  readonly reuseGrace: number
  readonly leeway: number
  readonly graceBinding: GraceBinding
  readonly maxFamiliesPerSubject: number
  readonly sessionCookies: boolean
}

/** Fields of {@link PolicyInput} that are durations. */
type DurationField = keyof Omit<PolicyInput, 'graceBinding' | 'maxFamiliesPerSubject' | 'sessionCookies'>

/**
 * The defaults, and why:
 * - `accessTtl: '15m'`: an access token cannot be revoked without the opt-in revocation feed,
 *   so its lifetime is the revocation lag. 15 minutes is the common choice (flask-jwt-extended)
 *   and keeps refresh traffic at about 4 requests an hour per active client.
 * - `refreshIdleTtl: '7d'`: a login unused for a week is more likely abandoned (or stolen from
 *   a forgotten device) than wanted; active users never notice it.
 * - `sessionMaxAge: '30d'`: the absolute bound on a stolen family's life, whatever the thief
 *   does (Auth0's default absolute lifetime).
 * - `reuseGrace: '10s'`: enough for two tabs or a retried request racing a rotation (hosted
 *   Supabase uses 10 s), short enough that a thief has little room to hide in it.
 * - `leeway: '5s'`: our own servers sign and verify, normally NTP-synced; 5 s absorbs drift
 *   between nodes without materially extending a token (node-oidc-provider allows 15 s).
 * - `graceBinding: 'user_agent'`: free to check, and a replay from a different client inside
 *   the window is then treated as theft. Use `'device_id'` for stronger binding.
 * - `maxFamiliesPerSubject: 100`: nobody has a hundred devices logged in at once; a script that
 *   logs in without logging out does, and without a cap its families pile up until "log out
 *   everywhere" has to touch every one of them (Auth0 caps refresh tokens per user and
 *   application at 200 for the same reason). 100 keeps logout-all to one page of writes.
 */
export const DEFAULT_POLICY: LifetimePolicy = Object.freeze({
  accessTtl: 15 * 60_000,
  refreshIdleTtl: 7 * 86_400_000,
  sessionMaxAge: 30 * 86_400_000,
  reuseGrace: 10_000,
  leeway: 5_000,
  graceBinding: 'user_agent',
  maxFamiliesPerSubject: 100,
  sessionCookies: false,
})

/** Every field of {@link PolicyInput}. */
const POLICY_FIELDS = [
  'accessTtl',
  'refreshIdleTtl',
  'sessionMaxAge',
  'reuseGrace',
  'leeway',
  'graceBinding',
  'maxFamiliesPerSubject',
  'sessionCookies',
] as const satisfies readonly (keyof PolicyInput)[]

/** What other libraries call these fields. */
const POLICY_ALIASES: Readonly<Record<string, string>> = {
  expiresIn: 'accessTtl',
  accessTokenTtl: 'accessTtl',
  accessTokenExpiresIn: 'accessTtl',
  refreshTtl: 'refreshIdleTtl',
  refreshTokenTtl: 'refreshIdleTtl',
  refreshExpiresIn: 'refreshIdleTtl',
  maxAge: 'sessionMaxAge',
  absoluteTtl: 'sessionMaxAge',
  gracePeriod: 'reuseGrace',
  reuseInterval: 'reuseGrace',
  clockTolerance: 'leeway',
  clockSkew: 'leeway',
  maxFamilies: 'maxFamiliesPerSubject',
  maxSessions: 'maxFamiliesPerSubject',
  maxSessionsPerUser: 'maxFamiliesPerSubject',
}

/**
 * The longest value, in seconds, that each field can sensibly have. A number beyond it that
 * would be sensible as milliseconds almost certainly is milliseconds (`accessTtl: 900000` means
 * 15 minutes to its author, and 10.4 days to us), so it is refused rather than silently accepted.
 */
const SENSIBLE_MAX_SECONDS: Readonly<Record<DurationField, number>> = {
  accessTtl: 86_400,
  refreshIdleTtl: 400 * 86_400,
  sessionMaxAge: 400 * 86_400,
  reuseGrace: 3_600,
  leeway: 3_600,
}

function refuseMilliseconds(field: DurationField, seconds: number): void {
  const max = SENSIBLE_MAX_SECONDS[field]
  if (!(seconds > max) || !(seconds / 1000 <= max)) return
  throw new AuthError(
    'ERR_CONFIG_INVALID',
    `policy.${field}: ${seconds} is ${describe(seconds * 1000)} as seconds, which looks like milliseconds; numbers are seconds: write '${ms(seconds)}'`,
  )
}

function describe(milliseconds: number): string {
  const days = milliseconds / 86_400_000
  return days >= 1 ? `${Math.round(days * 10) / 10} days` : `${Math.round((milliseconds / 3_600_000) * 10) / 10} hours`
}

/**
 * Converts a {@link Duration} to milliseconds. Numbers are seconds. Throws `AuthError`
 * (`ERR_CONFIG_INVALID`) naming `field` for anything that is not a finite, non-negative duration.
 */
export function parseDuration(value: Duration, field: string): number {
  let msValue: number | undefined
  if (typeof value === 'number') msValue = value * 1000
  else if (typeof value === 'string' && value.trim() !== '') {
    const parsed = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) * 1000 : ms(value as ms.StringValue)
    msValue = typeof parsed === 'number' ? parsed : undefined
  }
  if (msValue === undefined || !Number.isFinite(msValue)) {
    throw new AuthError('ERR_CONFIG_INVALID', `policy.${field}: ${JSON.stringify(value)} is not a duration`)
  }
  if (msValue < 0) throw new AuthError('ERR_CONFIG_INVALID', `policy.${field}: must not be negative`)
  return Math.round(msValue)
}

/**
 * Builds and validates a {@link LifetimePolicy}. Refuses, naming the field: negative or
 * non-finite durations, a zero access TTL, a grace window not shorter than the access TTL,
 * an idle TTL longer than the maximum age, an unknown grace binding.
 */
export function resolvePolicy(input: PolicyInput = {}): LifetimePolicy {
  if (input === null || typeof input !== 'object') {
    throw new AuthError('ERR_CONFIG_INVALID', 'policy must be an object')
  }
  assertKnownOptions('policy', input, POLICY_FIELDS, POLICY_ALIASES)
  const pick = (field: DurationField): number => {
    const v = input[field]
    if (v === undefined) return DEFAULT_POLICY[field]
    if (typeof v === 'number') refuseMilliseconds(field, v)
    return parseDuration(v, field)
  }
  const policy: LifetimePolicy = {
    accessTtl: pick('accessTtl'),
    refreshIdleTtl: pick('refreshIdleTtl'),
    sessionMaxAge: pick('sessionMaxAge'),
    reuseGrace: pick('reuseGrace'),
    leeway: pick('leeway'),
    graceBinding: input.graceBinding ?? DEFAULT_POLICY.graceBinding,
    maxFamiliesPerSubject:
      input.maxFamiliesPerSubject === undefined ? DEFAULT_POLICY.maxFamiliesPerSubject : input.maxFamiliesPerSubject,
    sessionCookies: input.sessionCookies ?? false,
  }
  const bad = (msg: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', msg)
  }
  if ((policy.graceBinding as string) === 'dpop') {
    bad(
      "policy.graceBinding: 'dpop' is not a binding: a DPoP-bound family needs its key for every refresh, inside the grace window too; to bind every family, use createEngine({ dpop: 'required' }) with a grace binding of 'none' or 'user_agent'",
    )
  }
  if (!(GRACE_BINDINGS as readonly string[]).includes(policy.graceBinding)) {
    bad(`policy.graceBinding: must be one of ${GRACE_BINDINGS.join(', ')}`)
  }
  if (typeof policy.sessionCookies !== 'boolean') bad('policy.sessionCookies: must be true or false')
  const cap = policy.maxFamiliesPerSubject
  if (!(cap === Number.POSITIVE_INFINITY || (Number.isSafeInteger(cap) && cap >= 1))) {
    bad(
      `policy.maxFamiliesPerSubject: ${JSON.stringify(cap)} is not a whole number of families of at least 1; write Infinity to turn the cap off`,
    )
  }
  if (policy.accessTtl < 1000) bad('policy.accessTtl: must be at least 1 second')
  if (policy.refreshIdleTtl < 1000) bad('policy.refreshIdleTtl: must be at least 1 second')
  if (policy.reuseGrace >= policy.accessTtl) {
    // Name the field the user wrote: `{ accessTtl: 3 }` alone is about accessTtl, not the default reuseGrace.
    if (input.reuseGrace === undefined) {
      bad(
        `policy.accessTtl: ${policy.accessTtl / 1000} s is not longer than the grace window (reuseGrace, default ${DEFAULT_POLICY.reuseGrace / 1000} s); give a longer accessTtl, or set a shorter reuseGrace`,
      )
    }
    bad('policy.reuseGrace: the grace window must be shorter than accessTtl')
  }
  if (policy.refreshIdleTtl > policy.sessionMaxAge) {
    bad('policy.refreshIdleTtl: the idle TTL must not be longer than sessionMaxAge')
  }
  if (policy.accessTtl > policy.sessionMaxAge) {
    bad('policy.accessTtl: an access token must not outlive sessionMaxAge')
  }
  return Object.freeze(policy)
}

/** Fields a named policy may not set: they are the engine's, one value for every family. */
const ENGINE_WIDE: readonly (keyof PolicyInput)[] = ['graceBinding', 'leeway', 'maxFamiliesPerSubject']

/** What a policy name may be (it is stored with each family): 1 to 64 of A-Z a-z 0-9 _ -. */
const POLICY_NAME = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Resolves the engine's named policies (`EngineOptions.policies`): each is the default input with
 * its own fields on top, validated like the default. Engine-wide fields (`graceBinding`,
 * `leeway`, `maxFamiliesPerSubject`) are refused in a named policy.
 */
export function resolveNamedPolicies(
  base: PolicyInput | undefined,
  named: Readonly<Record<string, PolicyInput>> | undefined,
): ReadonlyMap<string, LifetimePolicy> {
  const out = new Map<string, LifetimePolicy>()
  if (named === undefined) return out
  if (named === null || typeof named !== 'object' || Array.isArray(named)) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      "policies must be an object of named policies, such as { remembered: { sessionMaxAge: '90d' } }",
    )
  }
  for (const [name, input] of Object.entries(named)) {
    if (!POLICY_NAME.test(name)) {
      throw new AuthError(
        'ERR_CONFIG_INVALID',
        `policies: the name ${JSON.stringify(name)} must be 1 to 64 of A-Z a-z 0-9 _ -`,
      )
    }
    if (input === null || typeof input !== 'object') {
      throw new AuthError('ERR_CONFIG_INVALID', `policies.${name} must be an object`)
    }
    for (const field of ENGINE_WIDE) {
      if (field in input) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `policies.${name}.${field}: ${field} is one value for the whole engine; set it in policy, not in a named policy`,
        )
      }
    }
    try {
      out.set(name, resolvePolicy({ ...(base ?? {}), ...input }))
    } catch (error) {
      if (error instanceof AuthError) {
        throw new AuthError('ERR_CONFIG_INVALID', error.message.replace(/^policy\b/, `policies.${name}`))
      }
      throw error
    }
  }
  return out
}
