import { AuthError, assertKnownOptions, type IssueOptions, type TokenPair } from '@auth/core'
import { type AuthHttp, type AuthHttpOptions, createAuthHttp, type GuardOptions } from '@auth/core/http'
import { type Request, type RequestHandler, type Response, Router } from 'express'
import type { AuthClaims, AuthUser } from './claims.js'
import { parsedBody, routeBody, send, toAuthRequest } from './translate.js'

/** What {@link createAuth} accepts: the http layer's options, or an http layer you built yourself. */
export type ExpressAuthOptions = AuthHttpOptions | { readonly http: AuthHttp }

/** The Express face of the library. */
export interface ExpressAuth {
  /** The framework-neutral http layer underneath (engine, prefix…). */
  readonly http: AuthHttp
  /**
   * Serves refresh, logout, logout-all, sessions, revoke and JWKS under the prefix. Mount it at
   * the app's root (`app.use(auth.router)`): the prefix is the full public path, because the
   * refresh cookie is scoped to it.
   */
  readonly router: Router
  /**
   * A guard: verifies the access token (and the CSRF header in cookie mode) and puts the claims
   * on `req.auth` (and `loadUser`'s answer on `req.user`), or answers 401/403 itself. `maxAuthAge`
   * demands a fresh login (`ERR_AUTH_STALE`); `optional: true` lets a request without a token
   * through with `req.auth` null.
   */
  requireAuth(options?: GuardOptions): RequestHandler
  /**
   * The RFC 8414 authorization server metadata at the origin root
   * (`GET /.well-known/oauth-authorization-server` + the issuer's path): `app.use(auth.metadata)`.
   * Clients (oauth4webapi and the like) and resource servers discover everything from the issuer.
   */
  readonly metadata: RequestHandler
  /**
   * For your own login route, once you have checked the credentials: starts a family, sends the
   * token response (and cookies in cookie mode) and returns the pair. On an outage it sends the
   * error response instead and returns null.
   */
  login(req: Request, res: Response, subject: string, options?: IssueOptions): Promise<TokenPair | null>
}

/**
 * Creates the Express adapter (Express 5).
 *
 * ```ts
 * const auth = createAuth({ engine })
 * app.use(auth.router)
 * app.get('/me', auth.requireAuth(), (req, res) => res.json({ user: req.auth?.sub }))
 * ```
 */
export function createAuth(options: ExpressAuthOptions): ExpressAuth {
  if ('http' in options) assertKnownOptions('createAuth', options, ['http'])
  const http = 'http' in options ? options.http : createAuthHttp(options)
  const router = Router()

  const prefix = http.prefix
  // Mounted at the root (`app.use(auth.router)`) or under the prefix itself
  // (`app.use('/auth', auth.router)`): routes match on the full path, so both work. Mounted
  // anywhere else, the routes could never match: that is refused loudly, not a silent 404.
  router.use(async (req, res, next) => {
    const base = req.baseUrl
    if (base !== '' && !(base === prefix || prefix.startsWith(`${base}/`) || base.startsWith(`${prefix}/`))) {
      send(
        res,
        http.errorResponse(
          new AuthError(
            'ERR_CONFIG_INVALID',
            `@auth/express: auth.router is mounted at ${base}, where the routes under ${prefix || '/'} can never match; mount it with app.use(auth.router), or set prefix: '${base}${prefix}'`,
          ),
        ),
      )
      return
    }
    if (!req.originalUrl.startsWith(prefix)) {
      next()
      return
    }
    let response: Awaited<ReturnType<AuthHttp['handle']>>
    try {
      response = await http.handle(toAuthRequest(req, routeBody(req)))
    } catch (error) {
      response = http.errorResponse(error)
    }
    if (response === null) next()
    else send(res, response)
  })

  const metadata: RequestHandler = (req, res, next) => {
    if (http.metadataPath === null || req.path !== http.metadataPath) return next()
    const response = http.metadata(toAuthRequest(req, { kind: 'none' }))
    if (response === null) return next()
    send(res, response)
  }

  return {
    http,
    router,
    metadata,
    requireAuth(guardOptions) {
      // Validated here, where the route is declared: a bad option fails at start-up.
      const guard = http.prepareGuard(guardOptions)
      return async (req, res, next) => {
        let result: Awaited<ReturnType<typeof http.authenticate<AuthClaims, AuthUser>>>
        try {
          result = await http.authenticate<AuthClaims, AuthUser>(toAuthRequest(req, parsedBody(req)), guard)
        } catch (error) {
          send(res, http.errorResponse(error))
          return
        }
        if (!result.ok) {
          send(res, result.response)
          return
        }
        req.auth = result.claims
        if (result.user !== null) req.user = result.user
        next()
      }
    },
    async login(req, res, subject, issue) {
      try {
        const { pair, response } = await http.login(toAuthRequest(req, parsedBody(req)), subject, issue)
        send(res, response)
        return pair
      } catch (error) {
        send(res, http.errorResponse(error))
        return null
      }
    },
  }
}
