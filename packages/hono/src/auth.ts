import type { IssueOptions } from '@auth/core'
import { AuthError, assertKnownOptions } from '@auth/core'
import { type AuthHttp, type AuthHttpOptions, createAuthHttp, type GuardOptions } from '@auth/core/http'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import type { AuthClaims, AuthUser, AuthVariables, OptionalAuthVariables } from './claims.js'
import { type ClientIp, routeBody, toAuthRequest, toResponse } from './translate.js'

const NO_BODY = { kind: 'none' } as const

/** What {@link auth} accepts: the http layer's options (or an http layer you built), plus Hono specifics. */
export type HonoAuthOptions = (AuthHttpOptions | { readonly http: AuthHttp }) & {
  /**
   * The client address, recorded with each session. Runtime-specific in Hono, so off unless you
   * say: on Node, `(c) => getConnInfo(c).remote.address` from `@hono/node-server/conninfo`.
   */
  readonly clientIp?: ClientIp
  /**
   * Behind a TLS-terminating proxy you trust (and only then): take the protocol, host and client
   * address from its `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` (first entry),
   * as Express's `trust proxy` does. Hono has no such setting itself. Default false.
   */
  readonly trustProxy?: boolean
}

/** The Hono face of the library. */
export interface HonoAuth {
  /** The framework-neutral http layer underneath (engine, prefix…). */
  readonly http: AuthHttp
  /**
   * Refresh, logout, logout-all, sessions, revoke and JWKS under the prefix, as a Hono app:
   * `app.route('/', auth.routes)`. The prefix is the full public path (the refresh cookie is scoped to it).
   */
  readonly routes: Hono
  /** The same routes as one middleware (`app.use(auth.handler)`): requests that are not ours pass on. */
  readonly handler: MiddlewareHandler
  /**
   * The RFC 8414 authorization server metadata at the origin root
   * (`GET /.well-known/oauth-authorization-server` + the issuer's path): `app.route('/', auth.metadata)`.
   */
  readonly metadata: Hono
  /**
   * A guard: verifies the access token (and the CSRF header in cookie mode) and sets the claims
   * as `c.get('auth')`, or answers 401/403 itself. `maxAuthAge` demands a fresh login (`ERR_AUTH_STALE`).
   */
  requireAuth(options?: GuardOptions & { readonly optional?: false }): MiddlewareHandler<{ Variables: AuthVariables }>
  /** Optional authentication: a request without a token passes with `auth` and `user` null; a bad token is a 401. */
  requireAuth(
    options: GuardOptions & { readonly optional: true },
  ): MiddlewareHandler<{ Variables: OptionalAuthVariables }>
  /**
   * For your own login route, once you have checked the credentials: starts a family and returns
   * the token response (cookies set in cookie mode), or the error response on an outage.
   */
  login(c: Context, subject: string, options?: IssueOptions): Promise<Response>
}

/**
 * Creates the Hono adapter (Hono 4, any runtime).
 *
 * ```ts
 * const { routes, requireAuth, login } = auth({ engine })
 * app.route('/', routes)
 * app.get('/me', requireAuth(), (c) => c.json({ user: c.get('auth').sub }))
 * ```
 */
export function auth(options: HonoAuthOptions): HonoAuth {
  const { clientIp, trustProxy = false, ...rest } = options as HonoAuthOptions & Record<string, unknown>
  if (typeof trustProxy !== 'boolean') {
    throw new AuthError('ERR_CONFIG_INVALID', 'auth: trustProxy must be true (behind a proxy you trust) or false')
  }
  if ('http' in rest) assertKnownOptions('auth', rest, ['http'])
  const http = 'http' in rest ? (rest.http as AuthHttp) : createAuthHttp(rest as unknown as AuthHttpOptions)

  const handler: MiddlewareHandler = async (c, next) => {
    let response: Awaited<ReturnType<AuthHttp['handle']>>
    try {
      response = await http.handle(toAuthRequest(c, routeBody(c), clientIp, trustProxy))
    } catch (error) {
      response = http.errorResponse(error)
    }
    if (response === null) return next()
    return toResponse(response)
  }

  const routes = new Hono()
  routes.all(`${http.prefix}/*`, handler)
  const metadata = new Hono()
  if (http.metadataPath !== null) {
    metadata.get(http.metadataPath, (c) => {
      const response = http.metadata(toAuthRequest(c, NO_BODY, clientIp, trustProxy))
      return response === null ? c.notFound() : toResponse(response)
    })
  }

  // The overloads only narrow the variables' types; one implementation serves both.
  const requireAuth = ((guardOptions?: GuardOptions): MiddlewareHandler => {
    // Validated here, where the route is declared: a bad option fails at start-up.
    const guard = http.prepareGuard(guardOptions)
    return async (c, next) => {
      let result: Awaited<ReturnType<typeof http.authenticate<AuthClaims, AuthUser>>>
      try {
        result = await http.authenticate<AuthClaims, AuthUser>(toAuthRequest(c, NO_BODY, clientIp, trustProxy), guard)
      } catch (error) {
        return toResponse(http.errorResponse(error))
      }
      if (!result.ok) return toResponse(result.response)
      c.set('auth', result.claims)
      c.set('user', result.user)
      await next()
    }
  }) as HonoAuth['requireAuth']

  return {
    http,
    routes,
    handler,
    metadata,
    requireAuth,
    async login(c, subject, issue) {
      try {
        const { response } = await http.login(toAuthRequest(c, NO_BODY, clientIp, trustProxy), subject, issue)
        return toResponse(response)
      } catch (error) {
        return toResponse(http.errorResponse(error))
      }
    },
  }
}
