import { AuthError, failure } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'
import type { JWKS, SigningAlgorithm } from '../keys/types.js'
import { type Duration, parseDuration } from '../policy/policy.js'
import type { RevokedFamilies } from '../revocation/types.js'
import { type Clock, systemClock } from '../runtime.js'
import { createAccessTokenVerify } from '../tokens/access-token/codec.js'
import { fail } from '../tokens/access-token/failures.js'
import type { AccessTokenCodec, VerifyAccessResult } from '../tokens/types.js'
import { afterVerify, type VerifyAccessOptions } from './checks.js'
import { parseJwks, readCapped } from './jwks.js'

/** Options of {@link createVerifier}. Give `jwks` (a fixed key set) or `jwksUri` (the auth server's). */
export interface VerifierOptions {
  /** The auth server's issuer, exactly as it signs it (`iss`). */
  readonly issuer: string
  /** The audience (or audiences) this service accepts (`aud`). */
  readonly audience: string | readonly string[]
  /** A fixed JWKS (public keys only). */
  readonly jwks?: JWKS
  /**
   * The auth server's JWKS URL (its `{prefix}/jwks`, or `jwks_uri` of its metadata): https, or
   * http on a loopback host. Fetched with `timeout`, at most `maxJwksBytes`, cached for
   * `cacheMaxAge`, refetched on an unknown `kid` at most once per `cooldown`.
   */
  readonly jwksUri?: string
  /** Algorithms accepted. Default `['EdDSA', 'ES256', 'RS256']`; HS256 is refused (it needs the shared secret). */
  readonly algorithms?: readonly SigningAlgorithm[]
  /** Clock skew tolerated on `exp`, `iat`, `nbf`. Default `'5s'`. */
  readonly leeway?: Duration
  /** How long a fetched key set is used before it is fetched again. Default and maximum `'10m'`, whatever `Cache-Control` says. */
  readonly cacheMaxAge?: Duration
  /** The least time between two fetches (good or failed): a flood of unknown `kid`s costs one fetch per cooldown. Default `'30s'`. */
  readonly cooldown?: Duration
  /** While refetches fail, the last good keys keep verifying this long past `cacheMaxAge`. Default `'24h'`. */
  readonly maxStale?: Duration
  /** Deadline of one JWKS fetch. Default `'5s'`. */
  readonly timeout?: Duration
  /** The largest JWKS body read, in bytes. Default 64 KiB. */
  readonly maxJwksBytes?: number
  /** The revocation set fed by the auth server's revocation feed (as on the engine). */
  readonly revocations?: RevokedFamilies
  /** Verified-token cache: `false` turns it off. Default `{ max: 10_000 }`. */
  readonly accessTokenCache?: false | { readonly max?: number }
  /** The source of time. Default `Date.now`. */
  readonly clock?: Clock
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>
}

/** A resource server's verifier: `engine.verifyAccess` without an engine or a store. */
export interface Verifier {
  readonly issuer: string
  readonly clock: Clock
  /** Verifies an access token exactly as `engine.verifyAccess` does. Never throws for bad input; throws `ERR_KEYS_UNAVAILABLE` when no key set can be trusted. */
  verifyAccess<T extends object = Record<string, unknown>>(
    token: string,
    options?: VerifyAccessOptions,
  ): Promise<VerifyAccessResult<T>>
  /** The start-up check: loads the key set now; throws `ERR_KEYS_UNAVAILABLE` if it cannot. */
  check(): Promise<void>
  /** How many JWKS fetches were made (for operators and tests). */
  fetches(): number
}

const OPTIONS = [
  'issuer',
  'audience',
  'jwks',
  'jwksUri',
  'algorithms',
  'leeway',
  'cacheMaxAge',
  'cooldown',
  'maxStale',
  'timeout',
  'maxJwksBytes',
  'revocations',
  'accessTokenCache',
  'clock',
  'fetch',
] as const satisfies readonly (keyof VerifierOptions)[]

const MAX_CACHE_AGE = 10 * 60_000
const DEFAULT_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256']

/**
 * Creates a verifier for a service that checks our access tokens without the engine: the same
 * codec and claim checks as `engine.verifyAccess`, over keys from a JWKS.
 *
 * With `jwksUri` the keys follow the auth server: a key set is used for at most `cacheMaxAge`
 * (10 minutes), so a removed key stops verifying within that bound; an unknown `kid` refetches,
 * at most once per `cooldown`, whether the last fetch worked or not, and one fetch at a time; a
 * failed, empty, oversized or invalid key set never replaces good keys, which keep verifying for
 * `maxStale` past their age. With no key set that can be trusted, `verifyAccess` throws
 * `AuthError('ERR_KEYS_UNAVAILABLE')` (a 503 over HTTP): it fails closed.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@auth/core/verifier'
 *
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'api',
 *   jwksUri: 'https://auth.example.com/auth/jwks',
 * })
 * await verifier.check() // at start-up: the keys load, or the service does not start
 * const result = await verifier.verifyAccess(token)
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const bad = (message: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', `createVerifier: ${message}`)
  }
  if (options === null || typeof options !== 'object') bad('options must be an object')
  assertKnownOptions('createVerifier', options, OPTIONS, { jwks_uri: 'jwksUri', jwksUrl: 'jwksUri', url: 'jwksUri' })
  const { issuer, audience, revocations } = options
  const clock = options.clock ?? systemClock
  if (typeof clock?.now !== 'function') bad('clock must have a now() method')
  const algorithms = new Set(options.algorithms ?? DEFAULT_ALGORITHMS)
  if (algorithms.size === 0) bad('algorithms must list at least one algorithm')
  for (const alg of algorithms) {
    if (alg === 'HS256') {
      bad(
        "HS256 needs the auth server's shared secret, which a resource server must not hold; sign with EdDSA, ES256 or RS256",
      )
    }
    if (!DEFAULT_ALGORITHMS.includes(alg))
      bad(`algorithms: ${JSON.stringify(alg)} is not one of ${DEFAULT_ALGORITHMS.join(', ')}`)
  }
  const duration = (value: Duration | undefined, fallback: number, field: string): number => {
    if (value === undefined) return fallback
    try {
      return parseDuration(value, field)
    } catch {
      return bad(`${field}: ${JSON.stringify(value)} is not a duration; give seconds or a string such as '30s'`)
    }
  }
  const leeway = duration(options.leeway, 5_000, 'leeway')
  const cacheMaxAge = duration(options.cacheMaxAge, MAX_CACHE_AGE, 'cacheMaxAge')
  if (cacheMaxAge > MAX_CACHE_AGE) bad("cacheMaxAge: at most '10m', so a removed key stops verifying within 10 minutes")
  const cooldown = duration(options.cooldown, 30_000, 'cooldown')
  const maxStale = duration(options.maxStale, 24 * 3_600_000, 'maxStale')
  const timeout = duration(options.timeout, 5_000, 'timeout')
  if (timeout < 1) bad('timeout must be positive')
  const maxJwksBytes = options.maxJwksBytes ?? 64 * 1024
  if (!Number.isSafeInteger(maxJwksBytes) || maxJwksBytes < 1024)
    bad('maxJwksBytes must be a whole number of at least 1024')
  if (revocations !== undefined && typeof revocations?.check !== 'function') {
    bad('revocations must come from createRevokedFamilies({ feed })')
  }
  const codecFor = (keys: Parameters<typeof createAccessTokenVerify>[0]['keys']) =>
    createAccessTokenVerify({
      keys,
      issuer,
      audience,
      leeway,
      ...(options.accessTokenCache === undefined ? {} : { cache: options.accessTokenCache }),
    })

  if ((options.jwks === undefined) === (options.jwksUri === undefined)) bad('give jwks or jwksUri (one of them)')
  if (options.jwks !== undefined) {
    const parsed = parseJwks(options.jwks, algorithms)
    if (!parsed.ok) bad(`jwks: ${parsed.why}`)
    const codec = codecFor((parsed as Extract<typeof parsed, { ok: true }>).keys)
    return verifierOver(
      issuer,
      clock,
      revocations,
      () => codec,
      async () => codec,
      () => 0,
    )
  }

  const uri = remoteUri(options.jwksUri, bad)
  const fetcher = options.fetch ?? globalThis.fetch?.bind(globalThis)
  if (typeof fetcher !== 'function') bad('this runtime has no fetch; pass options.fetch')
  codecFor([]) // the issuer and audience checks, at construction

  let current: { codec: Pick<AccessTokenCodec, 'verify'>; loadedAt: number } | null = null
  let lastAttempt = Number.NEGATIVE_INFINITY
  let lastProblem = 'not fetched yet'
  let inFlight: Promise<void> | null = null
  let fetchCount = 0

  /** One fetch of the key set; it replaces the keys only with a good set. Never throws. */
  const load = (): Promise<void> => {
    inFlight ??= (async () => {
      lastAttempt = clock.now()
      fetchCount++
      try {
        const response = await fetcher(uri, {
          headers: { accept: 'application/jwk-set+json, application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(timeout),
        })
        if (!response.ok) {
          await response.body?.cancel().catch(() => {})
          lastProblem = `the JWKS answered ${response.status}`
          return
        }
        const text = await readCapped(response, maxJwksBytes)
        if (text === null) {
          lastProblem = `the JWKS is larger than ${maxJwksBytes} bytes`
          return
        }
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          lastProblem = 'the JWKS is not JSON'
          return
        }
        const parsed = parseJwks(json, algorithms)
        if (!parsed.ok) {
          lastProblem = `the JWKS was refused: ${parsed.why}`
          return
        }
        current = { codec: codecFor(parsed.keys), loadedAt: clock.now() }
        lastProblem = ''
      } catch (error) {
        lastProblem = `the JWKS could not be fetched (${error instanceof Error ? error.message : String(error)})`
      } finally {
        inFlight = null
      }
    })()
    return inFlight
  }
  const coolingDown = () => clock.now() - lastAttempt < cooldown
  const unavailable = () =>
    new AuthError('ERR_KEYS_UNAVAILABLE', `verifier: no trusted key set from ${uri}: ${lastProblem}`)

  /** The hot path: the key set when it is there and within its age, without a promise. */
  const fresh = (): Pick<AccessTokenCodec, 'verify'> | null =>
    current !== null && clock.now() - current.loadedAt < cacheMaxAge ? current.codec : null

  /** The key set to verify with now: fetched first if there is none or it is past its age. */
  const keys = async (): Promise<Pick<AccessTokenCodec, 'verify'>> => {
    if (current === null) {
      if (inFlight !== null || !coolingDown()) await load()
      if (current === null) throw unavailable()
    }
    const held = current as { codec: Pick<AccessTokenCodec, 'verify'>; loadedAt: number }
    const age = clock.now() - held.loadedAt
    if (age >= cacheMaxAge) {
      if (inFlight !== null || !coolingDown()) await load()
      const now = current as typeof held
      if (clock.now() - now.loadedAt >= cacheMaxAge + maxStale) throw unavailable()
      return now.codec
    }
    return held.codec
  }

  /** An unknown `kid`: refetch (outside the cooldown) and verify again with the new set. */
  const onUnknownKid = async (token: string, now: number, first: VerifyAccessResult): Promise<VerifyAccessResult> => {
    if (inFlight === null && coolingDown()) return first
    const before = current
    await load()
    if (current === null || current === before) return first
    return current.codec.verify(token, now)
  }

  return verifierOver(issuer, clock, revocations, fresh, keys, () => fetchCount, onUnknownKid)
}

function verifierOver(
  issuer: string,
  clock: Clock,
  revocations: RevokedFamilies | undefined,
  fresh: () => Pick<AccessTokenCodec, 'verify'> | null,
  keys: () => Promise<Pick<AccessTokenCodec, 'verify'>>,
  fetches: () => number,
  onUnknownKid?: (token: string, now: number, first: VerifyAccessResult) => Promise<VerifyAccessResult>,
): Verifier {
  return {
    issuer,
    clock,
    async verifyAccess<T extends object = Record<string, unknown>>(token: string, verifyOptions?: VerifyAccessOptions) {
      if (typeof token !== 'string' || token.length === 0) {
        return failure('ERR_ACCESS_TOKEN_MISSING', 'no access token was presented')
      }
      const codec = fresh() ?? (await keys())
      const now = clock.now()
      let result = await codec.verify(token, now)
      if (result === fail.kid && onUnknownKid !== undefined) result = await onUnknownKid(token, now, result)
      return afterVerify<T>(result, now, revocations, verifyOptions)
    },
    async check() {
      await keys()
    },
    fetches,
  }
}

/** `jwksUri`, checked: an absolute https URL, or http on a loopback host (development, tests). */
function remoteUri(value: unknown, bad: (message: string) => never): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    return bad(`jwksUri: ${JSON.stringify(value)} is not an absolute URL`)
  }
  const loopback = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    bad(`jwksUri: ${url.href} must be https (plain http only on localhost): keys fetched in the clear can be replaced`)
  }
  return url.href
}
