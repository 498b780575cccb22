import { assertKnownOptions } from '@auth/core'
import {
  type AuthHttp,
  type AuthHttpOptions,
  createAuthHttp,
  type GuardOptions,
  logOncePerCause,
} from '@auth/core/http'
import type { FastifyPluginAsync, FastifyReply, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthClaims, AuthUser } from './claims.js'
import { parsedBody, routeBody, send, toAuthRequest } from './translate.js'

/** What {@link authPlugin} accepts: the http layer's options, or an http layer you built yourself. */
export type FastifyAuthOptions = AuthHttpOptions | { readonly http: AuthHttp }

/** Fastify's own register options, which Fastify hands to every plugin beside the plugin's own. */
const FASTIFY_REGISTER_OPTIONS = ['logLevel', 'logSerializers', 'contextConfig'] as const

const plugin: FastifyPluginAsync<FastifyAuthOptions> = async (fastify, registered) => {
  const options = { ...registered } as Record<string, unknown>
  for (const name of FASTIFY_REGISTER_OPTIONS) delete options[name]
  if ('http' in options) assertKnownOptions('authPlugin', options, ['http'])
  // 5xx causes go to Fastify's own logger by default, once per cause a minute.
  if (!('http' in options) && options.onError === undefined) {
    options.onError = logOncePerCause((line, error) => fastify.log.error({ err: error }, line))
  }
  const http = 'http' in options ? (options.http as AuthHttp) : createAuthHttp(options as unknown as AuthHttpOptions)

  fastify.decorate('authHttp', http)
  // Undefined on routes without the guard, as on the other adapters; null only behind an optional guard.
  fastify.decorateRequest('auth', undefined)
  fastify.decorateRequest('user', undefined)
  fastify.decorate('requireAuth', (guardOptions?: GuardOptions): preHandlerAsyncHookHandler => {
    // Validated here, where the route is declared: a bad option fails at start-up.
    const guard = http.prepareGuard(guardOptions)
    return async (request, reply) => {
      try {
        const result = await http.authenticate<AuthClaims, AuthUser>(toAuthRequest(request, parsedBody(request)), guard)
        if (!result.ok) return send(reply, result.response)
        request.auth = result.claims
        request.user = result.user
      } catch (error) {
        return send(reply, http.errorResponse(error))
      }
    }
  })
  fastify.decorateReply('login', async function login(this: FastifyReply, subject, issue) {
    try {
      const { response } = await http.login(toAuthRequest(this.request, parsedBody(this.request)), subject, issue)
      return send(this, response)
    } catch (error) {
      return send(this, http.errorResponse(error))
    }
  } satisfies FastifyReply['login'])

  // RFC 8414 metadata at the origin root, outside the prefix.
  const metadataPath = http.metadataPath
  if (metadataPath !== null) {
    fastify.get(metadataPath, async (request, reply) => {
      const response = http.metadata(toAuthRequest(request, { kind: 'none' }))
      return response === null ? reply.callNotFound() : send(reply, response)
    })
  }
  // A resource server (a verifier, no engine) serves no routes: only the guard.
  if (http.engine === null) return

  // Our routes live in their own context: its body parser and error handler never touch the app's.
  await fastify.register(
    async (routes) => {
      routes.removeAllContentTypeParsers()
      routes.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: http.bodyLimit }, (_request, bytes, done) =>
        done(null, bytes),
      )
      // Fastify's own refusals (body over the limit, a malformed content type) and anything
      // thrown: core maps them to its JSON errors, never Fastify's default body.
      routes.setErrorHandler(async (error, _request, reply) => send(reply, http.errorResponse(error)))
      routes.all('/*', async (request, reply) => {
        try {
          const response = await http.handle(toAuthRequest(request, routeBody(request)))
          return response === null ? reply.callNotFound() : send(reply, response)
        } catch (error) {
          return send(reply, http.errorResponse(error))
        }
      })
    },
    { prefix: http.prefix },
  )
}

/**
 * The Fastify 5 plugin. Serves refresh, logout, logout-all, sessions, revoke and JWKS under the
 * prefix, and adds `fastify.requireAuth()`, `request.auth`, `reply.login()` and `fastify.authHttp`.
 *
 * ```ts
 * await app.register(authPlugin, { engine })
 * app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({ user: request.auth?.sub }))
 * ```
 */
export const authPlugin = fp(plugin, { name: '@auth/fastify', fastify: '5.x' })
