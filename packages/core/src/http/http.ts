import type { IssueOptions } from '../engine/types.js'
import { AuthError } from '../errors/index.js'
import type { RequestContext } from '../events/index.js'
import { httpsRequired } from './cookies.js'
import { freshNonce, proofFailureResponse, requestProof } from './dpop.js'
import { authenticateRequest, prepareGuard } from './guard.js'
import { metadataPath, metadataResponse } from './metadata.js'
import {
  type AuthHttpOptions,
  type HttpContext,
  isAuthServer,
  requestMeta,
  resolveHttpOptions,
  type Transport,
} from './options.js'
import { failureResponse, thrownResponse } from './response.js'
import { handleRequest } from './routes.js'
import { tokenResponse } from './token-response.js'
import type { AuthHttp, AuthRequest, LoginResult } from './types.js'

/**
 * Creates the framework-neutral HTTP surface: the routes under `prefix`, the guard, and the
 * login helper. Every option is validated here, once; bad ones throw `AuthError`
 * (`ERR_CONFIG_INVALID`) naming the field.
 *
 * @example
 * ```ts
 * const http = createAuthHttp({ engine, transport: 'cookie' })
 * const response = await http.handle(request) // null: not one of our routes
 * ```
 */
export function createAuthHttp(options: AuthHttpOptions): AuthHttp {
  const ctx = resolveHttpOptions(options)
  const report = (error: unknown) => {
    try {
      ctx.onError?.(error)
    } catch {
      // A failing logger must not turn a 503 into something worse.
    }
  }

  return {
    engine: ctx.engine,
    prefix: ctx.prefix,
    bodyLimit: ctx.bodyLimit,
    handle: (request) => handleRequest(ctx, request, report),
    metadataPath: isAuthServer(ctx) ? metadataPath(ctx.engine.issuer) : null,
    metadata: (request) => (isAuthServer(ctx) ? metadataResponse(ctx, request) : null),
    authenticate: (request, guardOptions) => authenticateRequest(ctx, request, guardOptions, null, true),
    prepareGuard: (guardOptions) => prepareGuard(ctx, guardOptions),
    async login(request: AuthRequest, subject: string, issueOptions: IssueOptions = {}): Promise<LoginResult> {
      if (!isAuthServer(ctx)) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          'login: this http layer has a verifier, not an engine (a resource server); log users in on the auth server',
        )
      }
      if (
        ctx.clientIds !== null &&
        (issueOptions.clientId === undefined || !ctx.clientIds.has(issueOptions.clientId))
      ) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `login: with clientIds configured, pass the client the user logs in through as { clientId }, one of ${[...ctx.clientIds].join(', ')} (check it against your request first)`,
        )
      }
      const transport = loginTransport(ctx, request)
      // Before the family exists: Secure cookies over plain http would be dropped by the browser.
      const insecure = transport === 'cookie' ? httpsRequired(ctx.cookies.access, request) : null
      if (insecure !== null) throw insecure
      const seen = requestMeta(request)
      const meta = { ...seen, ...issueOptions.meta }
      // DPoP applies to tokens the client holds: a bearer answer. A proof binds the family.
      let dpop = issueOptions.dpop
      if (ctx.dpop !== null && transport === 'bearer') {
        const proof = await requestProof(ctx.dpop, request, ctx.clock.now())
        if (!proof.ok) return { pair: null, response: proofFailureResponse(proof, ctx.realm) }
        if (proof.jkt !== undefined) dpop = { jkt: proof.jkt }
        if (dpop === undefined && ctx.engine.dpop === 'required') {
          const message = 'this server requires DPoP: send a DPoP proof with the login'
          return { pair: null, response: failureResponse('ERR_DPOP_PROOF_INVALID', message, { realm: ctx.realm }) }
        }
      }
      const context = issueOptions.context ?? (seen as RequestContext)
      const pair = await ctx.engine.issue(subject, {
        ...issueOptions,
        meta,
        context,
        ...(dpop === undefined ? {} : { dpop }),
      })
      // The CSRF token is the new family's: one planted before the login is never adopted.
      const response = await tokenResponse(ctx, pair, transport)
      if (dpop === undefined) return { pair, response }
      const nonce = await freshNonce(ctx.dpop, ctx.clock.now())
      return { pair, response: { ...response, headers: { ...response.headers, ...nonce } } }
    },
    errorResponse(error: unknown) {
      const response = thrownResponse(error, ctx.realm)
      if (response.status >= 500) report(error)
      return response
    },
  }
}

/**
 * The transport of a login's answer. Mixed mode: a native client asks for tokens in the body
 * with `Auth-Transport: bearer`; anything else (a browser) gets cookies. The request carries no
 * credential of ours yet, so it has to say; a page's script can send that header only to its
 * own origin, where it would still need the user's password to log in.
 */
function loginTransport(ctx: HttpContext, request: AuthRequest): Transport {
  if (!ctx.mixed) return ctx.transport
  return request.headers.get('auth-transport')?.trim().toLowerCase() === 'bearer' ? 'bearer' : 'cookie'
}
