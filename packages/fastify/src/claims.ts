import type { AccessClaims, IssueOptions } from '@auth/core'
import type { AuthHttp, GuardOptions } from '@auth/core/http'
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  preHandlerAsyncHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify'

/**
 * Your app's own access-token claims (the ones you pass to `reply.login(…, { claims })`). Empty
 * by default; augment it once and `request.auth` is typed everywhere:
 *
 * ```ts
 * declare module '@auth/fastify' {
 *   interface AuthClaims {
 *     role: 'admin' | 'member'
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declaration merging augments
export interface AuthClaims {}

/** The verified claims `requireAuth()` puts on `request.auth`: the registered ones plus {@link AuthClaims}. */
export type RequestClaims = AccessClaims<AuthClaims>

/**
 * Your app's user, as `loadUser` returns it (`request.user`). Empty by default; augment it:
 * `declare module '@auth/fastify' { interface AuthUser { id: string; name: string } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declaration merging augments
export interface AuthUser {}

declare module 'fastify' {
  // The same type parameters as Fastify's own declaration (merging requires it), so that the guard
  // is typed for the instance's server: HTTP/1, HTTPS or HTTP/2 alike.
  interface FastifyInstance<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
  > {
    /** The framework-neutral http layer underneath (engine, prefix…). */
    readonly authHttp: AuthHttp
    /**
     * A guard for `preHandler`: verifies the access token (and the CSRF header in cookie mode) and
     * puts the claims on `request.auth`, or answers 401/403 itself. `maxAuthAge` demands a fresh login.
     */
    requireAuth(
      options?: GuardOptions,
    ): preHandlerAsyncHookHandler<
      RawServer,
      RawRequest,
      RawReply,
      RouteGenericInterface,
      ContextConfigDefault,
      FastifySchema,
      TypeProvider,
      Logger
    >
  }
  interface FastifyRequest {
    /**
     * The verified access-token claims, set by `requireAuth()`; null behind
     * `requireAuth({ optional: true })` for a request without a token; undefined on routes without a guard.
     */
    auth?: RequestClaims | null
    /** `loadUser`'s answer for the verified token, set by `requireAuth()`; null without a loader or a token. */
    user?: AuthUser | null
  }
  interface FastifyReply {
    /**
     * For your own login route, once you have checked the credentials: starts a family and sends
     * the token response (cookies set in cookie mode), or the error response on an outage.
     */
    login(subject: string, options?: IssueOptions): Promise<FastifyReply>
  }
}
