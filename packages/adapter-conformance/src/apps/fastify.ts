import type { AuthHttp } from '@auth/core/http'
import { authPlugin } from '@auth/fastify'
import Fastify from 'fastify'
import { ADMIN_MAX_AUTH_AGE, type AdapterUnderTest, type RunningApp, usernameOf } from '../harness.js'

/** The suite's Fastify 5 app. */
export const fastifyAdapter: AdapterUnderTest = {
  name: 'fastify',
  async start(http: AuthHttp, port = 0): Promise<RunningApp> {
    const app = Fastify()
    await app.register(authPlugin, { http })
    app.post('/login', async (request, reply) => {
      const username = usernameOf(request.body)
      if (username === null) return reply.code(400).send({ error: 'invalid_request' })
      return reply.login(username, { claims: { name: username } })
    })
    app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({
      sub: request.auth?.sub,
      sid: request.auth?.sid,
      claims: request.auth,
      user: request.user ?? null,
    }))
    app.post('/admin', { preHandler: app.requireAuth({ maxAuthAge: ADMIN_MAX_AUTH_AGE }) }, async (request) => ({
      sub: request.auth?.sub,
      admin: true,
    }))
    app.get('/maybe', { preHandler: app.requireAuth({ optional: true }) }, async (request) => ({
      auth: request.auth === null ? 'null' : typeof request.auth,
      sub: request.auth?.sub ?? null,
      user: request.user ?? null,
    }))
    app.get('/bare', async (request) => ({ ok: true, auth: request.auth === null ? 'null' : typeof request.auth }))
    const url = await app.listen({ port, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  },
}
