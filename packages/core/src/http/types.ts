import type { Engine, FamilySummary, IssueOptions, TokenPair } from '../engine/types.js'
import type { AuthErrorCode } from '../errors/index.js'
import type { Duration } from '../policy/policy.js'
import type { AccessClaims } from '../tokens/types.js'

/**
 * The framework-neutral request every adapter builds. Adapters do no parsing of their own:
 * they hand over what the framework already has.
 */
export interface AuthRequest {
  /** Upper-case method (`GET`, `POST`…). */
  readonly method: string
  /** The path as the client sent it (no scheme/host), query string allowed: `/auth/refresh?x=1`. */
  readonly path: string
  /** Case-insensitive header lookup; repeated headers joined with `, ` (Set-Cookie never appears here). */
  readonly headers: { get(name: string): string | null | undefined }
  readonly body: RequestBody
  /** The client address as the framework reports it (respecting its trust-proxy setting). */
  readonly ip?: string | undefined
  /**
   * The protocol the client used, as the framework resolves it (respecting its trust-proxy
   * setting: Express's `trust proxy`, Fastify's `trustProxy`, the Hono adapter's `trustProxy`).
   * Cookie transport refuses to set `Secure` cookies on `'http'` (browsers drop them) except on
   * loopback hosts. Unknown (undefined): no check.
   */
  readonly protocol?: 'http' | 'https' | undefined
  /** The host name the client asked for, without the port (same trust-proxy rules). */
  readonly hostname?: string | undefined
}

/**
 * The request body as the adapter can offer it:
 * - `raw`: unread; core reads at most `limit` bytes (null = over the limit) and parses JSON or form itself.
 * - `parsed`: the framework (or app middleware) already parsed it into `value`.
 * - `none`: no body (GET, or nothing sent).
 */
export type RequestBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'raw'; read(limit: number): Promise<Uint8Array | null> }
  | { readonly kind: 'parsed'; readonly value: unknown }

/** The framework-neutral response core returns; the adapter writes it out verbatim. */
export interface AuthResponse {
  readonly status: number
  /** Header name -> value (lower-case names). Never contains `set-cookie`. */
  readonly headers: Readonly<Record<string, string>>
  /** Serialised `Set-Cookie` values, one per cookie. */
  readonly cookies: readonly string[]
  /** JSON body (serialised by the adapter with `JSON.stringify`), or null for no body. */
  readonly body: unknown
}

/** Where a token may be read from, in order of preference. */
export const TOKEN_LOCATIONS = ['header', 'cookie', 'body'] as const

/** One of {@link TOKEN_LOCATIONS}. */
export type TokenLocation = (typeof TOKEN_LOCATIONS)[number]

/** Options of a guard (`requireAuth`). */
export interface GuardOptions {
  /** Freshness: refuse (with `ERR_AUTH_STALE`) a login older than this. */
  readonly maxAuthAge?: Duration
  /** Where the access token may come from. Default: the http layer's `tokenLocations`. */
  readonly locations?: readonly TokenLocation[]
  /**
   * Optional authentication (flask-jwt-extended's `jwt_required(optional=True)`): a request with
   * no access token passes with `auth` (and `user`) null; a bad, expired or revoked token is still
   * a 401. Default false.
   */
  readonly optional?: boolean
}

/**
 * Guard options validated and resolved once (by `http.prepareGuard`, which every adapter's
 * `requireAuth()` calls when the route is declared): a bad option fails at start-up, and nothing
 * is parsed per request.
 */
export interface PreparedGuard {
  readonly prepared: true
  /** Where the access token may come from. */
  readonly locations: readonly TokenLocation[]
  /** Freshness in whole seconds (`maxAuthAge`), or undefined. */
  readonly maxAuthAgeSeconds: number | undefined
  /** No token passes, with no claims (`optional`). */
  readonly optional: boolean
}

/**
 * What a guard concludes: the verified claims (null only for an optional guard and a request
 * without a token) and the app's user (`loadUser`'s answer; null without a loader or claims), or
 * the response to send instead.
 */
export type GuardResult<T extends object = Record<string, unknown>, U = unknown> =
  | { readonly ok: true; readonly claims: AccessClaims<T>; readonly user: U | null }
  | { readonly ok: true; readonly claims: null; readonly user: null }
  | { readonly ok: false; readonly code: AuthErrorCode; readonly response: AuthResponse }

/** What the login helper returns: the pair, plus the response the adapter sends (cookies set, body). */
export interface LoginResult {
  /** The new family's tokens; null when the login was refused (a bad or missing DPoP proof): `response` says why. */
  readonly pair: TokenPair | null
  readonly response: AuthResponse
}

/** The framework-neutral http surface adapters translate to and from. */
export interface AuthHttp {
  /** The engine underneath, or null for a verifier-only http layer (a resource server). */
  readonly engine: Engine | null
  /** The routes' mount prefix, e.g. `/auth`. */
  readonly prefix: string
  /** The largest request body the routes read, in bytes (adapters may cap their own parsers with it). */
  readonly bodyLimit: number
  /**
   * Handles a request to one of the routes under `prefix` (refresh, logout, logout-all,
   * sessions, sessions/:id, revoke, jwks). Returns null when the path is not one of ours
   * (the adapter passes the request on). Never throws for bad input; a storage outage
   * becomes 503 with `Retry-After`.
   */
  handle(request: AuthRequest): Promise<AuthResponse | null>
  /**
   * Where the RFC 8414 metadata is served, at the origin root outside the prefix
   * (`/.well-known/oauth-authorization-server` + the issuer's path), or null (a verifier-only
   * layer, or an issuer that is not a URL).
   */
  readonly metadataPath: string | null
  /** Answers GET/HEAD of `metadataPath` with the authorization server metadata; null for anything else. */
  metadata(request: AuthRequest): AuthResponse | null
  /**
   * The guard: extracts and verifies the access token (and CSRF in cookie mode for unsafe
   * methods), then asks `loadUser` for the app's user. `U` is the type the app's loader returns.
   */
  authenticate<T extends object = Record<string, unknown>, U = unknown>(
    request: AuthRequest,
    options?: GuardOptions | PreparedGuard,
  ): Promise<GuardResult<T, U>>
  /**
   * Validates and resolves guard options once; throws `AuthError('ERR_CONFIG_INVALID')` naming the
   * option and the fix (`requireAuth({ maxAuthAge: '5 minutez' })` fails where it is written).
   */
  prepareGuard(options?: GuardOptions): PreparedGuard
  /** For the app's own login route, after it checked the credentials: issues a family and builds the response. */
  login(request: AuthRequest, subject: string, options?: IssueOptions): Promise<LoginResult>
  /**
   * Maps a thrown error to a safe response: never a stack trace. A storage outage is 503 with
   * `Retry-After`; a framework's own client error (an object with a 4xx `status`/`statusCode`,
   * e.g. a body parser's) is 413, 415 or 400; anything else is a generic 500.
   */
  errorResponse(error: unknown): AuthResponse
}

export type { FamilySummary }
