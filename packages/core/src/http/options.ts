import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { Engine } from '../engine/types.js'
import { AuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'
import type { RequestContext } from '../events/index.js'
import { nodeCrypto } from '../keys/node-crypto.js'
import type { FamilyMeta } from '../machine/types.js'
import { type Clock, systemClock } from '../runtime.js'
import { createDpopNonces, createDpopReplayCache } from '../tokens/dpop.js'
import type { AccessClaims } from '../tokens/types.js'
import type { Verifier } from '../verifier/verifier.js'
import { DEFAULT_BODY_LIMIT } from './body.js'
import { type AuthHttpCookieOptions, type CookieSet, resolveCookies } from './cookies.js'
import type { HttpDpop } from './dpop.js'
import { consoleOncePerCause } from './log.js'
import { type AuthRequest, TOKEN_LOCATIONS, type TokenLocation } from './types.js'

/** How tokens travel between the client and the server. */
export type Transport = 'bearer' | 'cookie'

/** Options of `createAuthHttp`. Validated once, at construction (`AuthError` `ERR_CONFIG_INVALID`). */
export interface AuthHttpOptions {
  /** The engine that issues, refreshes, revokes and verifies (the auth server). Give this or `verifier`. */
  readonly engine?: Engine
  /**
   * A resource server's verifier (`createVerifier` from `@auth/core/verifier`) instead of an
   * engine: only guards work then (bearer transport), no route is served and there is no login.
   */
  readonly verifier?: Verifier
  /** Where the routes are mounted. Default `'/auth'` (so `POST /auth/refresh`…). `''` mounts them at the root. */
  readonly prefix?: string
  /**
   * - `'bearer'` (default): tokens travel in JSON bodies; access tokens in `Authorization: Bearer`,
   *   refresh tokens in the refresh route's JSON or OAuth 2.0 form body. For mobile apps,
   *   servers and OAuth clients.
   * - `'cookie'`: for browsers. Tokens travel only in HttpOnly cookies the page's JavaScript
   *   cannot read; unsafe requests that rely on a cookie must echo the CSRF cookie in
   *   `x-csrf-token` (double-submit).
   */
  readonly transport?: Transport
  /**
   * Where guards (and the routes that need an access token) look for it, in order, like
   * flask-jwt-extended's `JWT_TOKEN_LOCATION`. Default: `['header']` for bearer, `['cookie']`
   * for cookie. `'cookie'` needs the cookie transport; the cookie transport needs `'cookie'`.
   * `['cookie', 'header']` serves browsers and native clients from one API (mixed mode): the
   * answer follows the request's credential. A refresh by cookie is answered with cookies, never
   * a body `refresh_token`; a refresh with the token in the body is answered in the body. A
   * login is answered in the body when the request says `Auth-Transport: bearer` (a header a
   * page can only send to its own origin, or after a CORS preflight you allowed), else with cookies.
   * A guard reads `'body'` (`access_token`) only from a body the framework already parsed.
   */
  readonly tokenLocations?: readonly TokenLocation[]
  /** Cookie names and attributes (cookie transport). Safe without configuration: Secure, HttpOnly, prefixed. */
  readonly cookies?: AuthHttpCookieOptions
  /** Largest request body the routes read, in bytes. Default 16 KiB; at most 1 MiB. */
  readonly bodyLimit?: number
  /** The `realm` of `WWW-Authenticate: Bearer` challenges. Default `'api'`. */
  readonly realm?: string
  /**
   * OAuth `client_id`s the refresh and revoke routes accept. Default: none configured, and a
   * `client_id` parameter is ignored (public clients; the refresh token is the credential).
   * When set, a request naming another `client_id` is refused as `invalid_grant`
   * (RFC 6749 §5.2: the grant was not issued to that client).
   */
  readonly clientIds?: readonly string[]
  /**
   * Cookie mode: origins (`https://app.example.com`) whose pages may use the session cookies from
   * another site of the same registrable domain. A browser's `Sec-Fetch-Site: cross-site` is always
   * refused on unsafe methods, `same-site` only accepted from these, and when set, an `Origin`
   * header outside them is refused too. Default: none.
   */
  readonly trustedOrigins?: readonly string[]
  /**
   * The source of time (epoch ms) for `expires_in` and cookie `Max-Age`. Default: the engine's
   * clock (`engine.clock`), so one injected clock serves both.
   */
  readonly clock?: Clock
  /**
   * Told about every error that became a 5xx response (a storage outage, a corrupt record, a
   * bug), so it can be logged: the client only ever sees a generic body. Must not throw
   * (if it does, that is ignored). Default: `console.error`, once per cause a minute
   * (`logOncePerCause`); the Fastify plugin defaults to Fastify's logger.
   */
  readonly onError?: (error: unknown) => void
  /**
   * The app's user for a verified access token (flask-jwt-extended's `user_lookup_loader`):
   * called once per guarded request, after the token is verified, never on refresh. Its answer
   * is `req.user` / `request.user` / `c.get('user')`; null or undefined (a deleted or disabled
   * user) is a 401 `ERR_USER_NOT_FOUND`. If it throws, that is an outage (an `AuthError` keeps
   * its status, anything else is a 500 reported to `onError`), never a 401.
   */
  readonly loadUser?: (claims: AccessClaims) => unknown
  /**
   * The auth server's public origin (`https://auth.example.com`): what DPoP proofs' `htu` is
   * compared with, path added. Default: the protocol and host the framework resolves for each
   * request (its trust-proxy setting). Only used when the engine's `dpop` is on.
   */
  readonly publicUrl?: string
  /**
   * Every DPoP proof must carry a current server nonce (RFC 9449 §8): a proof without one is
   * answered `use_dpop_nonce` with the `DPoP-Nonce` to use, and token answers carry the next.
   * Nonces are stateless (an HMAC over a 30 s bucket under the engine's refresh MAC key), so any
   * node accepts another's. Default false: nonces are asked for only when the replay cache is full.
   */
  readonly requireDpopNonce?: boolean
  /**
   * A resource server's nonce key (32 random bytes), the same on every instance: without it a
   * verifier-only layer cannot ask for nonces, so `requireDpopNonce` needs it and a full replay
   * cache refuses proofs. An auth server's nonces use its engine's keys; this is ignored there.
   */
  readonly dpopNonceSecret?: Uint8Array
  /**
   * How many proof ids (`jti`) this instance remembers, each for its proof's 65 s window; past
   * it, proofs need a server nonce (see `requireDpopNonce`). Default 50,000 (about 8 MB, 770
   * DPoP requests a second sustained).
   */
  readonly dpopReplayCacheSize?: number
}

/** The options, validated and resolved. */
export interface HttpContext {
  /** The engine (auth server), or null for a verifier-only http layer (resource server). */
  readonly engine: Engine | null
  /** What guards verify with: the engine's `verifyAccess`, or the verifier's. */
  readonly verifyAccess: Engine['verifyAccess']
  readonly prefix: string
  readonly transport: Transport
  readonly locations: readonly TokenLocation[]
  /** Cookie transport that also takes tokens outside cookies: native clients get bearer answers. */
  readonly mixed: boolean
  readonly cookies: CookieSet
  readonly bodyLimit: number
  readonly realm: string
  readonly clientIds: ReadonlySet<string> | null
  readonly trustedOrigins: ReadonlySet<string>
  readonly clock: Clock
  readonly onError: (error: unknown) => void
  readonly loadUser: ((claims: AccessClaims) => unknown) | undefined
  /** DPoP, when the engine's `dpop` is on or on a resource server: the replay cache and the public URL. Null otherwise. */
  readonly dpop: HttpDpop | null
  /** The presenter's binding under `policy.graceBinding` (null when it offers none). */
  bindingFor(request: AuthRequest): string | null
}

const MAX_BODY_LIMIT = 1024 * 1024

/** The context of the auth server's own routes and login: an engine is there. */
export type AuthServerContext = HttpContext & { readonly engine: Engine }

/** Whether this http layer is an auth server's (it has an engine), not a verifier-only one. */
export function isAuthServer(ctx: HttpContext): ctx is AuthServerContext {
  return ctx.engine !== null
}

/** Every option of `createAuthHttp`: anything else is a typo, refused with the nearest name. */
export const HTTP_OPTIONS = [
  'requireDpopNonce',
  'dpopNonceSecret',
  'dpopReplayCacheSize',
  'engine',
  'verifier',
  'prefix',
  'transport',
  'tokenLocations',
  'cookies',
  'bodyLimit',
  'realm',
  'clientIds',
  'trustedOrigins',
  'clock',
  'onError',
  'loadUser',
  'publicUrl',
] as const satisfies readonly (keyof AuthHttpOptions)[]

/** Validates every option of `createAuthHttp`; throws `AuthError('ERR_CONFIG_INVALID')` naming the first bad one. */
export function resolveHttpOptions(options: AuthHttpOptions): HttpContext {
  const bad = (message: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', `createAuthHttp: ${message}`)
  }
  if (options === null || typeof options !== 'object') return bad('options must be an object')
  assertKnownOptions('createAuthHttp', options, HTTP_OPTIONS, { basePath: 'prefix', mountPath: 'prefix' })
  const { engine, verifier } = options
  if ((engine === undefined) === (verifier === undefined)) {
    bad('give engine (an auth server) or verifier (a resource server that only verifies tokens), one of them')
  }
  if (verifier !== undefined) {
    // A resource server: guards over a verifier, bearer tokens only, no routes, no login.
    if (typeof verifier?.verifyAccess !== 'function') bad('verifier must come from createVerifier()')
    const authServerOnly = (['transport', 'cookies', 'clientIds', 'trustedOrigins'] as const).find((option) =>
      option === 'transport' ? (options.transport ?? 'bearer') !== 'bearer' : options[option] !== undefined,
    )
    if (authServerOnly !== undefined) {
      bad(
        `${authServerOnly} is for the auth server (the engine's http layer); a verifier-only http layer verifies bearer tokens and serves no routes`,
      )
    }
  } else {
    for (const method of [
      'issue',
      'refresh',
      'inspectRefreshToken',
      'revoke',
      'revokeAll',
      'list',
      'verifyAccess',
      'jwks',
    ] as const) {
      if (typeof engine?.[method] !== 'function') bad(`engine must be an Engine (missing ${method}())`)
    }
  }
  const prefix = resolvePrefix(options.prefix, bad)
  const transport = options.transport ?? 'bearer'
  if (transport !== 'bearer' && transport !== 'cookie') bad("transport must be 'bearer' or 'cookie'")

  const locations = options.tokenLocations ?? (transport === 'cookie' ? ['cookie'] : ['header'])
  if (!Array.isArray(locations) || locations.length === 0 || locations.some((l) => !TOKEN_LOCATIONS.includes(l))) {
    bad(`tokenLocations must be a non-empty list of ${TOKEN_LOCATIONS.join(', ')}`)
  }
  if (new Set(locations).size !== locations.length) bad('tokenLocations lists a location twice')
  if (locations.includes('cookie') && transport !== 'cookie') {
    bad("tokenLocations: 'cookie' needs transport: 'cookie' (it sets the cookies and the CSRF protection)")
  }
  if (transport === 'cookie' && !locations.includes('cookie')) {
    bad("tokenLocations: transport 'cookie' needs 'cookie' among the locations")
  }

  const cookies = resolveCookies(options.cookies, prefix, bad)
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1024 || bodyLimit > MAX_BODY_LIMIT) {
    bad(`bodyLimit must be an integer number of bytes between 1024 and ${MAX_BODY_LIMIT}`)
  }
  const realm = options.realm ?? 'api'
  if (typeof realm !== 'string' || !/^[\x20-\x7e]{1,100}$/.test(realm) || /["\\]/.test(realm)) {
    bad('realm must be 1-100 printable ASCII characters without quotes or backslashes')
  }
  let clientIds: ReadonlySet<string> | null = null
  if (options.clientIds !== undefined) {
    const ids = options.clientIds
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string' || id.length === 0)) {
      bad('clientIds must be a non-empty list of non-empty strings')
    }
    clientIds = new Set(ids)
  }
  const trusted = options.trustedOrigins ?? []
  if (!Array.isArray(trusted) || trusted.some((o) => typeof o !== 'string' || !isOrigin(o))) {
    bad('trustedOrigins must be a list of origins such as https://app.example.com (scheme, host, port; no path)')
  }
  const clock = options.clock ?? (engine ?? verifier)?.clock ?? systemClock
  if (typeof clock?.now !== 'function') bad('clock must have a now() method')
  if (options.onError !== undefined && typeof options.onError !== 'function') bad('onError must be a function')
  if (options.loadUser !== undefined && typeof options.loadUser !== 'function') bad('loadUser must be a function')
  const dpopMode = engine?.dpop ?? 'off'
  if (dpopMode === 'required' && transport === 'cookie') {
    bad(
      "engine.dpop 'required' with transport 'cookie': DPoP binds tokens to a key the client holds, and a browser on cookies holds no token; use transport 'bearer' or dpop 'allowed'",
    )
  }
  const publicUrl = options.publicUrl ?? null
  if (publicUrl !== null && (typeof publicUrl !== 'string' || !isOrigin(publicUrl))) {
    bad('publicUrl must be an origin such as https://auth.example.com (no path, no trailing slash)')
  }

  const nonceSecret = options.dpopNonceSecret
  if (nonceSecret !== undefined && !(nonceSecret instanceof Uint8Array && nonceSecret.length >= 32)) {
    bad('dpopNonceSecret must be a Uint8Array of at least 32 random bytes')
  }
  if (options.requireDpopNonce !== undefined && typeof options.requireDpopNonce !== 'boolean') {
    bad('requireDpopNonce must be a boolean')
  }
  const replaySize = options.dpopReplayCacheSize ?? 50_000
  if (!Number.isSafeInteger(replaySize) || replaySize < 1) bad('dpopReplayCacheSize must be a positive integer')
  const nonces =
    engine !== undefined ? engine.dpopNonces : nonceSecret === undefined ? null : createDpopNonces(nonceSecret)
  if (options.requireDpopNonce === true && nonces === null) {
    bad('requireDpopNonce on a resource server needs dpopNonceSecret (the same 32 random bytes on every instance)')
  }
  return {
    engine: engine ?? null,
    prefix,
    transport,
    locations: Object.freeze([...locations]),
    mixed: transport === 'cookie' && locations.some((l) => l !== 'cookie'),
    cookies,
    bodyLimit,
    realm,
    clientIds,
    trustedOrigins: new Set(trusted),
    clock,
    // Operators see every 5xx cause by default: on the console, once per cause per minute.
    onError: options.onError ?? consoleOncePerCause(),
    loadUser: options.loadUser,
    // A resource server reads DPoP requests whatever its auth server does: a bound token needs one.
    dpop:
      verifier !== undefined || dpopMode !== 'off'
        ? {
            replay: createDpopReplayCache(replaySize),
            publicUrl,
            nonces,
            requireNonce: options.requireDpopNonce === true,
          }
        : null,
    verifyAccess:
      engine !== undefined
        ? engine.verifyAccess
        : (token, verifyOptions) => (verifier as Verifier).verifyAccess(token, verifyOptions),
    bindingFor: engine !== undefined ? bindingFunction(engine, bad) : () => null,
  }
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}

function resolvePrefix(input: string | undefined, bad: (message: string) => never): string {
  if (input === undefined) return '/auth'
  if (typeof input !== 'string') return bad('prefix must be a string such as /auth')
  const prefix = input.endsWith('/') ? input.slice(0, -1) : input
  if (prefix !== '' && !/^(?:\/[A-Za-z0-9\-._~]+)+$/.test(prefix)) {
    bad('prefix must be a path such as /auth or /api/auth (letters, digits, - . _ ~), or empty')
  }
  return prefix
}

const encoder = new TextEncoder()

/** Digests of recent binding values: a client sends the same User-Agent on every refresh. */
const digests = new Map<string, string>()
const MAX_DIGESTS = 1000

/** A short, fixed-size digest of a binding value: what the family record stores. */
function digest(value: string): string {
  let found = digests.get(value)
  if (found === undefined) {
    found =
      nodeCrypto === undefined
        ? encodeBase64urlNoPadding(sha256(encoder.encode(value))).slice(0, 22)
        : nodeCrypto.createHash('sha256').update(value).digest('base64url').slice(0, 22)
    if (digests.size >= MAX_DIGESTS) digests.delete(digests.keys().next().value as string)
    digests.set(value, found)
  }
  return found
}

function bindingFunction(engine: Engine, bad: (message: string) => never): (request: AuthRequest) => string | null {
  const binding = engine.policy?.graceBinding
  switch (binding) {
    case 'none':
      return () => null
    case 'user_agent':
      return (request) => {
        const ua = request.headers.get('user-agent')
        return ua ? `ua:${digest(ua)}` : null
      }
    case 'device_id':
      return (request) => {
        const id = request.headers.get('x-device-id')
        return id ? `device:${digest(id)}` : null
      }
    default:
      return bad(`engine.policy.graceBinding ${JSON.stringify(binding)} is unknown`)
  }
}

/** Longest user agent recorded with a family. */
const MAX_USER_AGENT = 256

/** What the session list shows about the client: its user agent (truncated) and IP, when known. */
/** The request's context for the engine's events: the same IP and user agent as {@link requestMeta}. */
export function requestContext(request: AuthRequest): RequestContext {
  return requestMeta(request) as RequestContext
}

export function requestMeta(request: AuthRequest): FamilyMeta {
  const meta: Record<string, string> = {}
  const ua = request.headers.get('user-agent')
  if (ua) meta.userAgent = ua.slice(0, MAX_USER_AGENT)
  if (typeof request.ip === 'string' && request.ip.length > 0) meta.ip = request.ip.slice(0, 64)
  return meta
}
