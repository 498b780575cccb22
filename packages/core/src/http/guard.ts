import { AuthError, type AuthErrorCode, isAuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'
import { parseDuration } from '../policy/policy.js'
import type { AccessClaims, VerifyAccessResult } from '../tokens/types.js'
import { type Body, peekParsedBody } from './body.js'
import { type RequestCookies, readCookies } from './cookies.js'
import { CSRF_HEADER, csrfMatches, isUnsafeMethod } from './csrf.js'
import { dpopChallenge, type HttpDpop, requestProof } from './dpop.js'
import { extractAccessToken, isTokenSyntax } from './extract.js'
import type { HttpContext } from './options.js'
import { failureResponse, thrownResponse } from './response.js'
import {
  type AuthRequest,
  type AuthResponse,
  type GuardOptions,
  type GuardResult,
  type PreparedGuard,
  TOKEN_LOCATIONS,
  type TokenLocation,
} from './types.js'

/**
 * The double-submit check for a request that carries an ambient credential (a cookie): on an
 * unsafe method the `x-csrf-token` header must equal the CSRF cookie. Returns the failure
 * response, or null when the request passes.
 */
export function checkCsrf(ctx: HttpContext, request: AuthRequest, cookies: RequestCookies) {
  const duplicate = duplicateCookie(ctx, cookies)
  if (duplicate) return duplicate
  if (!isUnsafeMethod(request.method)) return null
  // OWASP's defence in depth beside the double-submit token: a browser says where a request
  // comes from; a cross-site one (or same-site from an origin not trusted) is refused.
  const site = request.headers.get('sec-fetch-site')
  const origin = request.headers.get('origin')
  if (site === 'cross-site') return fail(ctx, 'ERR_CSRF', 'a cross-site request cannot use the session cookies')
  if (site === 'same-site' && (origin == null || !ctx.trustedOrigins.has(origin))) {
    return fail(
      ctx,
      'ERR_CSRF',
      'a same-site request from an origin not in trustedOrigins cannot use the session cookies',
    )
  }
  if (site == null && origin != null && ctx.trustedOrigins.size > 0 && !ctx.trustedOrigins.has(origin)) {
    return fail(ctx, 'ERR_CSRF', 'a request from an origin not in trustedOrigins cannot use the session cookies')
  }
  if (csrfMatches(cookies.get(ctx.cookies.csrf.name), request.headers.get(CSRF_HEADER))) return null
  return fail(ctx, 'ERR_CSRF', `the ${CSRF_HEADER} header is missing or does not match the CSRF cookie`)
}

/**
 * The second half of the CSRF check on an unsafe method: the CSRF cookie (which the header just
 * matched) must be the token of `familyId`, the family the request's credential belongs to (the
 * access token's `sid`, or the refresh cookie's family). A value planted by a sibling subdomain
 * without the key matches no family. Returns the failure response, or null.
 */
export async function checkCsrfFamily(
  ctx: HttpContext,
  request: AuthRequest,
  cookies: RequestCookies,
  familyId: string | null,
) {
  if (!isUnsafeMethod(request.method)) return null
  const value = cookies.get(ctx.cookies.csrf.name)
  const engine = ctx.engine
  if (engine !== null && familyId !== null && value !== undefined && (await engine.verifyCsrfToken(familyId, value))) {
    return null
  }
  return fail(ctx, 'ERR_CSRF', 'the CSRF token is not the one of this session; reload the page to get a new one')
}

/**
 * Two cookies with one of our names: one of them was planted (by a sibling subdomain when
 * `cookies.domain` is set), and a server cannot tell which. Refused with ERR_CSRF, on any method.
 */
export function duplicateCookie(ctx: HttpContext, cookies: RequestCookies) {
  if (cookies.duplicates.size === 0) return null
  for (const spec of [ctx.cookies.access, ctx.cookies.refresh, ctx.cookies.csrf]) {
    if (cookies.duplicates.has(spec.name)) {
      return fail(ctx, 'ERR_CSRF', `the request carries two cookies named ${spec.name}; refusing both`)
    }
  }
  return null
}

/**
 * Authenticates a request by its access token. Order: find the token (`locations`, else the
 * configured ones); when it came from a cookie on an unsafe method, the CSRF check; then the
 * engine's verification with freshness. `body` is the already-read body of a route, else
 * only a framework-parsed body is looked at.
 */
export async function authenticateRequest<T extends object, U = unknown>(
  ctx: HttpContext,
  request: AuthRequest,
  options: GuardOptions | PreparedGuard | undefined,
  body: Body | null = null,
  loadUser = false,
): Promise<GuardResult<T, U>> {
  const guard = options === undefined ? defaultGuard(ctx) : isPrepared(options) ? options : prepareGuard(ctx, options)
  const { locations, maxAuthAgeSeconds, optional } = guard
  const authorization = request.headers.get('authorization')
  const dpop = ctx.dpop
  if (dpop !== null && authorization != null && DPOP_SCHEME.test(authorization)) {
    return authenticateDpop<T, U>(ctx, dpop, request, authorization, maxAuthAgeSeconds, loadUser)
  }
  const cookies = locations.includes('cookie') ? readCookies(request.headers.get('cookie')) : EMPTY_COOKIES
  const found = extractAccessToken(
    {
      authorization,
      cookies,
      cookieName: ctx.cookies.access.name,
      body: body ?? (locations.includes('body') ? peekParsedBody(request) : null),
    },
    locations,
  )
  if (!found.ok) {
    // Optional: no token at all passes anonymously; a malformed one is still refused.
    if (optional && found.code === 'ERR_ACCESS_TOKEN_MISSING') return ANONYMOUS
    return fail(ctx, found.code, found.message)
  }
  if (found.location === 'cookie') {
    const csrf = checkCsrf(ctx, request, cookies)
    if (csrf) return csrf
  }
  const verified = await verifyFailClosed<T>(
    ctx,
    found.token,
    maxAuthAgeSeconds === undefined ? NO_FRESHNESS : { maxAuthAge: maxAuthAgeSeconds },
  )
  if ('response' in verified) return verified
  if (verified.ok) {
    if (found.location === 'cookie') {
      const csrf = await checkCsrfFamily(ctx, request, cookies, verified.claims.sid)
      if (csrf) return csrf
    }
    return withUser<T, U>(ctx, verified.claims as AccessClaims<T>, loadUser)
  }
  const maxAge = verified.code === 'ERR_AUTH_STALE' ? maxAuthAgeSeconds : undefined
  return {
    ok: false,
    code: verified.code,
    response: failureResponse(verified.code, verified.message, { realm: ctx.realm, maxAge }),
  }
}

const EMPTY_COOKIES: RequestCookies = readCookies(null)

/** An optional guard's answer to a request without a token. */
const ANONYMOUS = Object.freeze({ ok: true as const, claims: null, user: null })

/**
 * `ctx.verifyAccess`, failing closed: only an outage can throw there (a revocation check that
 * cannot reach its store), and it becomes the guard's failure with its status.
 */
async function verifyFailClosed<T extends object>(
  ctx: HttpContext,
  token: string,
  options: Parameters<HttpContext['verifyAccess']>[1],
): Promise<
  VerifyAccessResult<T> | { readonly ok: false; readonly code: AuthErrorCode; readonly response: AuthResponse }
> {
  try {
    return await ctx.verifyAccess<T>(token, options)
  } catch (error) {
    if (isAuthError(error)) return { ok: false, code: error.code, response: thrownResponse(error, ctx.realm) }
    throw error
  }
}

/** `Authorization: DPoP <token>` (the scheme is case-insensitive, RFC 9110 §11.1). */
const DPOP_SCHEME = /^dpop +/i

/** The app's user for verified claims, when the guard loads one; a throw is an outage, never a 401. */
async function withUser<T extends object, U>(
  ctx: HttpContext,
  claims: AccessClaims<T>,
  loadUser: boolean,
): Promise<GuardResult<T, U>> {
  if (!loadUser || ctx.loadUser === undefined) return { ok: true, claims, user: null }
  const user: unknown = await ctx.loadUser(claims)
  if (user === null || user === undefined) {
    return fail(ctx, 'ERR_USER_NOT_FOUND', 'the access token is valid but its user no longer exists')
  }
  return { ok: true, claims, user: user as U }
}

/**
 * A DPoP request (RFC 9449 §7): the token from `Authorization: DPoP`, a proof by its key over
 * this method and URL with the token's `ath`, and a token bound to that key (`cnf.jkt`). A bearer
 * token presented this way, or a bound one presented as Bearer (refused by `verifyAccess`), fails.
 */
async function authenticateDpop<T extends object, U>(
  ctx: HttpContext,
  dpop: HttpDpop,
  request: AuthRequest,
  authorization: string,
  maxAuthAgeSeconds: number | undefined,
  loadUser: boolean,
): Promise<GuardResult<T, U>> {
  const token = authorization.replace(DPOP_SCHEME, '').trim()
  if (!isTokenSyntax(token)) {
    const message = 'the access token in the DPoP authorization header is malformed'
    return {
      ok: false,
      code: 'ERR_ACCESS_TOKEN_MALFORMED',
      response: dpopChallenge('invalid_token', 'ERR_ACCESS_TOKEN_MALFORMED', message),
    }
  }
  const proof = await requestProof(dpop, request, ctx.clock.now(), token)
  if (!proof.ok || proof.jkt === undefined) {
    const code = proof.ok ? 'ERR_DPOP_PROOF_INVALID' : proof.code
    const message = proof.ok ? 'DPoP proof: missing (a DPoP token needs its DPoP header)' : proof.message
    const nonce = proof.ok ? undefined : proof.nonce
    const error = nonce === undefined ? 'invalid_dpop_proof' : 'use_dpop_nonce'
    return { ok: false, code, response: dpopChallenge(error, code, message, nonce) }
  }
  const verified = await verifyFailClosed<T>(ctx, token, {
    dpopJkt: proof.jkt,
    ...(maxAuthAgeSeconds === undefined ? {} : { maxAuthAge: maxAuthAgeSeconds }),
  })
  if ('response' in verified) return verified
  if (verified.ok && verified.claims.cnf === undefined) {
    const message = 'this access token is not bound to a DPoP key: present it as Bearer'
    return {
      ok: false,
      code: 'ERR_ACCESS_TOKEN_INVALID',
      response: dpopChallenge('invalid_token', 'ERR_ACCESS_TOKEN_INVALID', message),
    }
  }
  if (!verified.ok) {
    return { ok: false, code: verified.code, response: dpopChallenge('invalid_token', verified.code, verified.message) }
  }
  return withUser<T, U>(ctx, verified.claims as AccessClaims<T>, loadUser)
}

function fail(ctx: HttpContext, code: AuthErrorCode, message: string) {
  return { ok: false as const, code, response: failureResponse(code, message, { realm: ctx.realm }) }
}

const NO_FRESHNESS = Object.freeze({})
const DEFAULT_GUARDS = new WeakMap<HttpContext, PreparedGuard>()

function defaultGuard(ctx: HttpContext): PreparedGuard {
  let guard = DEFAULT_GUARDS.get(ctx)
  if (guard === undefined) {
    guard = prepareGuard(ctx, undefined)
    DEFAULT_GUARDS.set(ctx, guard)
  }
  return guard
}

function isPrepared(options: GuardOptions | PreparedGuard): options is PreparedGuard {
  return (options as PreparedGuard).prepared === true
}

/** Validates and resolves guard options once (see `AuthHttp.prepareGuard`). */
export function prepareGuard(ctx: HttpContext, options: GuardOptions | undefined): PreparedGuard {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new AuthError('ERR_CONFIG_INVALID', "requireAuth: options must be an object such as { maxAuthAge: '5m' }")
  }
  assertKnownOptions('requireAuth', options, ['maxAuthAge', 'locations', 'optional'], {
    maxAge: 'maxAuthAge',
    fresh: 'maxAuthAge',
  })
  const optional = options?.optional ?? false
  if (typeof optional !== 'boolean') {
    throw new AuthError('ERR_CONFIG_INVALID', 'requireAuth: optional must be true or false')
  }
  const locations = options?.locations ?? ctx.locations
  if (options?.locations !== undefined) checkLocations(ctx, locations)
  let maxAuthAgeSeconds: number | undefined
  if (options?.maxAuthAge !== undefined) {
    let ms: number
    try {
      ms = parseDuration(options.maxAuthAge, 'maxAuthAge')
    } catch {
      throw new AuthError(
        'ERR_CONFIG_INVALID',
        `requireAuth: maxAuthAge ${JSON.stringify(options.maxAuthAge)} is not a duration; give seconds (300) or a string such as '5m'`,
      )
    }
    maxAuthAgeSeconds = Math.floor(ms / 1000)
  }
  return Object.freeze({
    prepared: true as const,
    locations: Object.freeze([...locations]),
    maxAuthAgeSeconds,
    optional,
  })
}

/** A guard's own `locations` must be valid, and `'cookie'` needs the cookie transport (misuse: thrown). */
function checkLocations(ctx: HttpContext, locations: readonly TokenLocation[]): void {
  if (!Array.isArray(locations) || locations.length === 0 || locations.some((l) => !TOKEN_LOCATIONS.includes(l))) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `guard locations must be a non-empty list of ${TOKEN_LOCATIONS.join(', ')}`,
    )
  }
  if (locations.includes('cookie') && ctx.transport !== 'cookie') {
    throw new AuthError('ERR_CONFIG_INVALID', "guard locations: 'cookie' needs transport: 'cookie'")
  }
}

/**
 * Our own routes (logout, logout-all, sessions): the default guard, never optional and never
 * the app's user loader, so an authenticated answer always has claims.
 */
export async function authenticateRoute(
  ctx: HttpContext,
  request: AuthRequest,
  body: Body | null,
): Promise<
  | { readonly ok: true; readonly claims: AccessClaims }
  | { readonly ok: false; readonly code: AuthErrorCode; readonly response: AuthResponse }
> {
  const result = await authenticateRequest(ctx, request, undefined, body)
  if (!result.ok) return result
  if (result.claims === null) throw new Error('@auth/core internal error: the default guard passed without a token')
  return { ok: true, claims: result.claims }
}
