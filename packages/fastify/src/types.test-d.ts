import type { Http2SecureServer } from 'node:http2'
import type { Server as HttpsServer } from 'node:https'
import type { TokenPair } from '@auth/core'
import type { AuthHttp, GuardOptions } from '@auth/core/http'
import { authPlugin, type RequestClaims } from '@auth/fastify'
import Fastify, { type FastifyReply, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'

// What a user writes once to type their own claims.
declare module '@auth/fastify' {
  interface AuthClaims {
    role: 'admin' | 'member'
  }
}

describe('@auth/fastify types', () => {
  it('decorates the instance, the request and the reply', () => {
    const app = Fastify()
    expectTypeOf(app.authHttp).toEqualTypeOf<AuthHttp>()
    expectTypeOf(app.requireAuth).parameter(0).toEqualTypeOf<GuardOptions | undefined>()
    expectTypeOf(app.requireAuth()).toEqualTypeOf<preHandlerAsyncHookHandler>()
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<RequestClaims | null | undefined>()
    expectTypeOf<FastifyReply['login']>().returns.resolves.toEqualTypeOf<FastifyReply>()
    expectTypeOf<RequestClaims['role']>().toEqualTypeOf<'admin' | 'member'>()
    expectTypeOf<RequestClaims['exp']>().toEqualTypeOf<number>()
  })

  it('registers as a plugin and guards routes, typed routes included', async () => {
    const app = Fastify()
    await app.register(authPlugin, { http: app.authHttp })
    app.get('/me', { preHandler: app.requireAuth() }, async (request) => {
      expectTypeOf(request.auth?.role).toEqualTypeOf<'admin' | 'member' | undefined>()
      return { sub: request.auth?.sub }
    })
    app.post<{ Body: { username: string } }>('/login', async (request, reply) => {
      expectTypeOf(request.body.username).toBeString()
      return reply.login(request.body.username, { claims: { role: 'member' } })
    })
    app.post('/admin', { preHandler: [app.requireAuth({ maxAuthAge: '5m', locations: ['header'] })] }, async () => ({}))
    expectTypeOf<TokenPair['familyId']>().toBeString()
  })

  it('types the guard for the instance’s own server: HTTPS and HTTP/2 apps use requireAuth too', async () => {
    const tls = { key: 'a PEM key', cert: 'a PEM certificate' }
    const secure = Fastify({ https: tls })
    await secure.register(authPlugin, { http: secure.authHttp })
    expectTypeOf(secure.requireAuth()).toEqualTypeOf<preHandlerAsyncHookHandler<HttpsServer>>()
    secure.get('/me', { preHandler: secure.requireAuth() }, async (request) => ({ sub: request.auth?.sub }))

    const h2 = Fastify({ http2: true, https: tls })
    await h2.register(authPlugin, { http: h2.authHttp })
    expectTypeOf(h2.requireAuth()).toEqualTypeOf<preHandlerAsyncHookHandler<Http2SecureServer>>()
    h2.get('/me', { preHandler: h2.requireAuth() }, async (request) => ({ sub: request.auth?.sub }))
    h2.post('/admin', { preHandler: [h2.requireAuth({ maxAuthAge: '5m' })] }, async () => ({}))
    h2.post('/login', async (_request, reply) => reply.login('alice'))
  })
})
