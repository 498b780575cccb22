import type { InspectOptions } from '../engine/types.js'
import type { AuthErrorCode } from '../errors/index.js'
import type { RequestContext } from '../events/index.js'
import { sessionExpiry } from '../machine/lifetime.js'
import { parseRefreshToken } from '../tokens/refresh-token.js'
import type { AccessClaims } from '../tokens/types.js'
import { type Body, readBody, stringField } from './body.js'
import { clearCookies, httpsRequired, type RequestCookies, readCookies } from './cookies.js'
import { freshNonce, proofFailureResponse, type RequestProof, requestProof } from './dpop.js'
import { isTokenSyntax } from './extract.js'
import { authenticateRoute, checkCsrf, checkCsrfFamily } from './guard.js'
import {
  type AuthServerContext,
  type HttpContext,
  isAuthServer,
  requestContext,
  requestMeta,
  type Transport,
} from './options.js'
import { emptyResponse, failureResponse, jsonResponse, thrownResponse } from './response.js'
import { tokenResponse } from './token-response.js'
import type { AuthRequest, AuthResponse } from './types.js'

type Handler = (ctx: AuthServerContext, request: AuthRequest, param: string) => Promise<AuthResponse>

/** One path under the prefix: the methods it answers and its handler per method. */
interface Route {
  readonly methods: Readonly<Record<string, Handler>>
}

const ROUTES: Readonly<Record<string, Route>> = {
  '/refresh': { methods: { POST: refresh } },
  '/logout': { methods: { POST: logout } },
  '/logout-all': { methods: { POST: logoutAll } },
  '/sessions': { methods: { GET: listSessions } },
  '/sessions/:id': { methods: { DELETE: deleteSession } },
  '/revoke': { methods: { POST: revoke } },
  '/jwks': { methods: { GET: jwks } },
}

/** Longest path we look at; anything longer is not one of ours. */
const MAX_PATH = 2048

/**
 * Routes a request: null when the path is not under the prefix or not one of ours, a 405 with
 * `Allow` for a wrong method on one of ours, else the route's answer. Never throws: anything
 * thrown becomes {@link thrownResponse} (503 for outages, a generic 500 otherwise).
 */
export async function handleRequest(
  context: HttpContext,
  request: AuthRequest,
  onError: (error: unknown) => void,
): Promise<AuthResponse | null> {
  // A resource server (verifier only) serves no route: every request passes on to the app.
  if (!isAuthServer(context)) return null
  const ctx = context
  const match = matchRoute(ctx.prefix, request.path)
  if (match === null) return null
  const method = request.method.toUpperCase()
  // HEAD is answered wherever GET is (RFC 9110 §9.3.2); the server drops the body.
  const handler = match.route.methods[method] ?? (method === 'HEAD' ? match.route.methods.GET : undefined)
  if (handler === undefined) {
    const methods = Object.keys(match.route.methods)
    const allow = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ')
    return failureResponse('ERR_METHOD_NOT_ALLOWED', `use ${allow}`, { realm: ctx.realm, headers: { allow } })
  }
  try {
    return await handler(ctx, request, match.param)
  } catch (error) {
    const response = thrownResponse(error, ctx.realm)
    if (response.status >= 500) onError(error)
    return response
  }
}

/** Matches `path` (query string allowed) against the routes under `prefix`. */
export function matchRoute(prefix: string, path: string): { route: Route; param: string } | null {
  if (typeof path !== 'string' || path.length > MAX_PATH) return null
  const end = path.search(/[?#]/)
  const pathname = end === -1 ? path : path.slice(0, end)
  if (!pathname.startsWith(`${prefix}/`)) return null
  const rest = pathname.slice(prefix.length)
  const exact = ROUTES[rest]
  if (exact !== undefined && Object.hasOwn(ROUTES, rest)) return { route: exact, param: '' }
  const session = /^\/sessions\/([^/]+)$/.exec(rest)
  if (session?.[1] !== undefined) return { route: ROUTES['/sessions/:id'] as Route, param: session[1] }
  return null
}

function fail(ctx: AuthServerContext, code: AuthErrorCode, message: string, cookies?: readonly string[]): AuthResponse {
  return failureResponse(code, message, { realm: ctx.realm, cookies })
}

/** Reads the refresh token a bearer client put in the body: `refresh_token` (OAuth, JSON) or `refreshToken` (JSON). */
function bodyRefreshToken(body: Body) {
  const snake = stringField(body, 'refresh_token')
  if (!snake.ok) return snake
  if (body.type !== 'json') return snake
  const camel = stringField(body, 'refreshToken')
  if (!camel.ok) return camel
  if (snake.value !== undefined && camel.value !== undefined) {
    return {
      ok: false as const,
      code: 'ERR_BAD_REQUEST' as const,
      message: 'give refresh_token or refreshToken, not both',
    }
  }
  return { ok: true as const, value: snake.value ?? camel.value }
}

/** Codes after which the cookies the browser holds are dead: cookie mode deletes them. */
function deadCredentials(code: AuthErrorCode): boolean {
  return code.startsWith('ERR_REFRESH_TOKEN_') && code !== 'ERR_REFRESH_TOKEN_MISSING'
}

/**
 * POST {prefix}/refresh: RFC 6749 §6. Bearer: the token in a JSON body (`refresh_token` or
 * `refreshToken`) or an OAuth form body (`grant_type=refresh_token&refresh_token=…`); cookie:
 * the refresh cookie, with the CSRF header.
 */
async function refresh(ctx: AuthServerContext, request: AuthRequest): Promise<AuthResponse> {
  const read = await readBody(request, ctx.bodyLimit)
  if (!read.ok) return fail(ctx, read.code, read.message)
  const { body } = read
  const grant = stringField(body, 'grant_type', 64)
  if (!grant.ok) return fail(ctx, grant.code, grant.message)
  if (grant.value === undefined && body.type === 'form') {
    return fail(ctx, 'ERR_BAD_REQUEST', 'grant_type is required (RFC 6749 §6)')
  }
  if (grant.value !== undefined && grant.value !== 'refresh_token') {
    return fail(ctx, 'ERR_UNSUPPORTED_GRANT_TYPE', 'only grant_type=refresh_token is supported here')
  }
  const clientId = stringField(body, 'client_id', 256)
  if (!clientId.ok) return fail(ctx, clientId.code, clientId.message)
  if (ctx.clientIds !== null) {
    // RFC 6749 §6: with clients configured, the refresh names its client, which must be the one
    // the family logged in through.
    if (clientId.value === undefined) return fail(ctx, 'ERR_BAD_REQUEST', 'client_id is required (RFC 6749 §6)')
    if (!ctx.clientIds.has(clientId.value)) {
      return fail(ctx, 'ERR_REFRESH_TOKEN_INVALID', 'the refresh token was not issued to this client')
    }
  }

  // The answer follows the credential: a refresh cookie is answered with cookies (never a body
  // refresh_token a page's script could read); a body token (bearer, or mixed mode) in the body.
  let token: string | undefined
  let transport: Transport = ctx.transport
  if (ctx.transport === 'cookie') {
    const cookies = readCookies(request.headers.get('cookie'))
    token = cookies.get(ctx.cookies.refresh.name) || undefined
    if (token !== undefined) {
      const refused = await refreshCookieCsrf(ctx, request, cookies, token)
      if (refused) return refused.response
    }
  }
  if (ctx.transport === 'bearer' || ctx.mixed) {
    const found = bodyRefreshToken(body)
    if (!found.ok) return fail(ctx, found.code, found.message)
    if (found.value !== undefined) {
      if (token !== undefined) {
        return fail(ctx, 'ERR_BAD_REQUEST', 'send the refresh token in the cookie or in the body, not both')
      }
      token = found.value
      transport = 'bearer'
    }
  }
  if (transport === 'cookie') {
    // Before rotating: new cookies the browser would drop leave it holding a rotated-away token.
    const insecure = httpsRequired(ctx.cookies.refresh, request)
    if (insecure !== null) {
      ctx.onError(insecure)
      return fail(ctx, 'ERR_HTTPS_REQUIRED', 'session cookies need https: this server is serving them over plain http')
    }
  }
  const dead = transport === 'cookie' ? clearCookies(ctx.cookies) : []
  if (token === undefined) return fail(ctx, 'ERR_REFRESH_TOKEN_MISSING', 'no refresh token was presented')
  if (!isTokenSyntax(token)) return fail(ctx, 'ERR_REFRESH_TOKEN_MALFORMED', 'the refresh token is malformed', dead)

  // DPoP applies to a token the client holds (a body token); a bound family needs its proof.
  let dpop: { readonly jkt: string; readonly iat: number } | undefined
  if (ctx.dpop !== null && transport === 'bearer') {
    const proof = await requestProof(ctx.dpop, request, ctx.clock.now())
    if (!proof.ok) return proofFailureResponse(proof, ctx.realm)
    if (proof.jkt !== undefined) dpop = { jkt: proof.jkt, iat: proof.iat }
  }
  // What the record keeps of the request is also what its events say: one object for both.
  const meta = requestMeta(request)
  const result = await ctx.engine.refresh(token, {
    ...(dpop === undefined ? {} : { dpop }),
    binding: ctx.bindingFor(request),
    meta,
    context: meta as RequestContext,
    ...(ctx.clientIds !== null && clientId.value !== undefined ? { clientId: clientId.value } : {}),
  })
  if (!result.ok) {
    return failureResponse(result.code, result.message, {
      realm: ctx.realm,
      cookies: deadCredentials(result.code) ? dead : [],
      revocationReason: result.revocationReason,
    })
  }
  const response = await tokenResponse(ctx, result.pair, transport)
  if (dpop === undefined) return response
  return { ...response, headers: { ...response.headers, ...(await freshNonce(ctx.dpop, ctx.clock.now())) } }
}

/**
 * POST {prefix}/logout: ends this family, named by the access token's `sid` or, failing that,
 * by a refresh token in the body. Idempotent: an already ended family is fine. Cookie mode
 * deletes the cookies.
 */
async function logout(ctx: AuthServerContext, request: AuthRequest): Promise<AuthResponse> {
  const read = await readBody(request, ctx.bodyLimit)
  if (!read.ok) return fail(ctx, read.code, read.message)
  const access = await authenticateRoute(ctx, request, read.body)
  let familyId: string
  if (access.ok) {
    familyId = access.claims.sid
  } else {
    // A CSRF refusal or an outage is final; a missing or dead access token may be replaced by a refresh token.
    if (access.code === 'ERR_CSRF' || access.response.status >= 500) return access.response
    // Cookie mode: the refresh cookie (mixed mode: a body refresh token when there is no cookie).
    if (ctx.transport === 'cookie' && (!ctx.mixed || hasRefreshCookie(ctx, request))) {
      return logoutByRefreshCookie(ctx, request, access.response)
    }
    const found = bodyRefreshToken(read.body)
    if (!found.ok) return fail(ctx, found.code, found.message)
    if (found.value === undefined) return access.response
    if (!isTokenSyntax(found.value)) return fail(ctx, 'ERR_REFRESH_TOKEN_MALFORMED', 'the refresh token is malformed')
    const proof = await bodyTokenProof(ctx, request)
    if (!proof.ok) return proofFailureResponse(proof, ctx.realm)
    const inspected = await ctx.engine.inspectRefreshToken(found.value, {
      ...proof.dpop,
      context: requestContext(request),
    })
    if (!inspected.ok) return fail(ctx, inspected.code, inspected.message)
    familyId = inspected.familyId
  }
  // Not found, revoked or expired all mean the family is over: logging out again succeeds.
  await ctx.engine.revoke(familyId, 'logout', { context: requestContext(request) })
  return emptyResponse(204, ctx.transport === 'cookie' ? clearCookies(ctx.cookies) : [])
}

/**
 * The DPoP proof of a request that names a family by a body refresh token (logout, RFC 7009
 * revocation), as `inspectRefreshToken`'s options: a bound family is found only with its key's proof.
 */
async function bodyTokenProof(
  ctx: AuthServerContext,
  request: AuthRequest,
): Promise<{ readonly ok: true; readonly dpop: InspectOptions } | Exclude<RequestProof, { ok: true }>> {
  if (ctx.dpop === null) return { ok: true, dpop: {} }
  const proof = await requestProof(ctx.dpop, request, ctx.clock.now())
  if (!proof.ok) return proof
  return { ok: true, dpop: proof.jkt === undefined ? {} : { dpop: { jkt: proof.jkt } } }
}

/** The CSRF check of a request whose credential is the refresh cookie `token`: both halves. */
async function refreshCookieCsrf(ctx: AuthServerContext, request: AuthRequest, cookies: RequestCookies, token: string) {
  return checkCsrf(ctx, request, cookies) ?? (await checkCsrfFamily(ctx, request, cookies, refreshFamilyOf(token)))
}

/**
 * The family a refresh cookie names, read without its MAC: only the CSRF check uses it, and the
 * engine verifies the MAC before anything happens to that family. Null when it is no token.
 */
function refreshFamilyOf(token: string): string | null {
  const parsed = parseRefreshToken(token)
  return parsed.ok ? parsed.token.familyId : null
}

function hasRefreshCookie(ctx: AuthServerContext, request: AuthRequest): boolean {
  return Boolean(readCookies(request.headers.get('cookie')).get(ctx.cookies.refresh.name))
}

/**
 * Cookie mode, access token missing or expired: the refresh cookie (scoped to the prefix, so it
 * reaches this route) names the family, through its MAC-verified token, with the CSRF header
 * required as on any cookie-authenticated unsafe request.
 */
async function logoutByRefreshCookie(
  ctx: AuthServerContext,
  request: AuthRequest,
  refused: AuthResponse,
): Promise<AuthResponse> {
  const cookies = readCookies(request.headers.get('cookie'))
  const token = cookies.get(ctx.cookies.refresh.name)
  if (!token) return refused
  const csrf = await refreshCookieCsrf(ctx, request, cookies, token)
  if (csrf) return csrf.response
  const cleared = clearCookies(ctx.cookies)
  if (!isTokenSyntax(token)) return fail(ctx, 'ERR_REFRESH_TOKEN_MALFORMED', 'the refresh token is malformed', cleared)
  const context = requestContext(request)
  const inspected = await ctx.engine.inspectRefreshToken(token, { context })
  if (!inspected.ok) return fail(ctx, inspected.code, inspected.message, cleared)
  await ctx.engine.revoke(inspected.familyId, 'logout', { context })
  return emptyResponse(204, cleared)
}

/** POST {prefix}/logout-all: ends every family of the access token's subject; answers `{ revoked }`. */
async function logoutAll(ctx: AuthServerContext, request: AuthRequest): Promise<AuthResponse> {
  const read = await readBody(request, ctx.bodyLimit)
  if (!read.ok) return fail(ctx, read.code, read.message)
  const access = await authenticateRoute(ctx, request, read.body)
  if (!access.ok) return access.response
  const { revoked } = await ctx.engine.revokeAll(access.claims.sub, 'logout_all', {
    context: requestContext(request),
  })
  return jsonResponse(200, { revoked }, { cookies: ctx.transport === 'cookie' ? clearCookies(ctx.cookies) : [] })
}

/** One family as its owner sees it over HTTP. Times in seconds since the epoch. */
export interface SessionView {
  readonly id: string
  readonly created_at: number
  readonly last_used_at: number
  readonly expires_at: number
  readonly user_agent: string | null
  readonly ip: string | null
  /** True for the family of the access token that asked. */
  readonly current: boolean
}

/** GET {prefix}/sessions: the caller's own active families, most recently used first. */
async function listSessions(ctx: AuthServerContext, request: AuthRequest): Promise<AuthResponse> {
  const access = await authenticateRoute(ctx, request, null)
  if (!access.ok) return access.response
  const families = await ctx.engine.list(access.claims.sub)
  const sessions: SessionView[] = families.map((family) => ({
    id: family.id,
    created_at: Math.floor(family.createdAt / 1000),
    last_used_at: Math.floor(family.lastUsedAt / 1000),
    expires_at: Math.floor(sessionExpiry(family) / 1000),
    user_agent: typeof family.meta.userAgent === 'string' ? family.meta.userAgent : null,
    ip: typeof family.meta.ip === 'string' ? family.meta.ip : null,
    current: family.id === access.claims.sid,
  }))
  return jsonResponse(200, { sessions })
}

/**
 * DELETE {prefix}/sessions/:id: ends one of the caller's own families. Someone else's and an
 * unknown id get the same 404, so the answer never tells whether a family exists.
 */
async function deleteSession(ctx: AuthServerContext, request: AuthRequest, rawId: string): Promise<AuthResponse> {
  const access = await authenticateRoute(ctx, request, null)
  if (!access.ok) return access.response
  const notFound = () => fail(ctx, 'ERR_NOT_FOUND', 'no such session')
  let id: string
  try {
    id = decodeURIComponent(rawId)
  } catch {
    return notFound()
  }
  const own = await ctx.engine.list(access.claims.sub)
  if (!own.some((family) => family.id === id)) return notFound()
  const result = await ctx.engine.revoke(id, 'logout', { context: requestContext(request) })
  if (!result.ok) return notFound()
  const current = id === access.claims.sid && ctx.transport === 'cookie'
  return emptyResponse(204, current ? clearCookies(ctx.cookies) : [])
}

/**
 * POST {prefix}/revoke: RFC 7009. `token` (a refresh or an access token) and an optional
 * `token_type_hint`; a refresh token ends its family, an access token ends its `sid` family.
 * Answers 200 with no body whether or not the token was valid (RFC 7009 §2.2), so it tells
 * nothing about tokens; only a request without a token is refused.
 */
async function revoke(ctx: AuthServerContext, request: AuthRequest): Promise<AuthResponse> {
  const read = await readBody(request, ctx.bodyLimit)
  if (!read.ok) return fail(ctx, read.code, read.message)
  const token = stringField(read.body, 'token')
  if (!token.ok) return fail(ctx, token.code, token.message)
  if (token.value === undefined) return fail(ctx, 'ERR_BAD_REQUEST', 'token is required (RFC 7009 §2.1)')
  const hint = stringField(read.body, 'token_type_hint', 64)
  if (!hint.ok) return fail(ctx, hint.code, hint.message)
  const client = stringField(read.body, 'client_id', 256)
  if (!client.ok) return fail(ctx, client.code, client.message)
  let clientId: string | undefined
  if (ctx.clientIds !== null) {
    if (client.value === undefined) return fail(ctx, 'ERR_BAD_REQUEST', 'client_id is required (RFC 7009 §2.1)')
    if (!ctx.clientIds.has(client.value)) return fail(ctx, 'ERR_REFRESH_TOKEN_INVALID', 'unknown client_id')
    clientId = client.value
  }
  if (isTokenSyntax(token.value)) {
    const value = token.value
    // A DPoP-bound token is revoked only with its key's proof (else 200, nothing revoked).
    const proof = await bodyTokenProof(ctx, request)
    const jkt = proof.ok ? proof.dpop.dpop?.jkt : undefined
    // The hint only orders the lookups (RFC 7009 §2.1: an unknown hint is ignored).
    const order = hint.value === 'access_token' ? [asAccess, asRefresh] : [asRefresh, asAccess]
    for (const familyOf of order) {
      const found = await familyOf(ctx, value, clientId, jkt)
      if (found === 'other_client') {
        // RFC 7009 §2.1: a token issued to another client is refused, not revoked.
        return fail(ctx, 'ERR_REFRESH_TOKEN_INVALID', 'the token was not issued to this client')
      }
      if (found !== null) {
        await ctx.engine.revoke(found, 'logout', { context: requestContext(request) })
        break
      }
    }
  }
  return emptyResponse(200)
}

type Found = string | null | 'other_client'

async function asRefresh(
  ctx: AuthServerContext,
  token: string,
  clientId: string | undefined,
  jkt: string | undefined,
): Promise<Found> {
  const inspected = await ctx.engine.inspectRefreshToken(token, {
    ...(clientId === undefined ? {} : { clientId }),
    ...(jkt === undefined ? {} : { dpop: { jkt } }),
  })
  if (inspected.ok) return inspected.familyId
  return inspected.otherClient === true ? 'other_client' : null
}

async function asAccess(
  ctx: AuthServerContext,
  token: string,
  clientId: string | undefined,
  jkt: string | undefined,
): Promise<Found> {
  const verified = await ctx.engine.verifyAccess(token, jkt === undefined ? {} : { dpopJkt: jkt })
  if (!verified.ok) return null
  const claims = verified.claims as AccessClaims
  if (clientId !== undefined && claims.client_id !== undefined && claims.client_id !== clientId) return 'other_client'
  return claims.sid
}

/** GET {prefix}/jwks: the public keys, cacheable for five minutes (keys rotate with overlap). */
async function jwks(ctx: AuthServerContext): Promise<AuthResponse> {
  return jsonResponse(200, ctx.engine.jwks(), { headers: { 'cache-control': 'public, max-age=300' } })
}
