// A complete Fastify 5 app on @auth/fastify: the library's routes under /auth, the app's own
// login route, two protected API routes, and the browser page. `main.ts` runs it; `pnpm demo`
// and the browser test start it with their own engine.
import {
  BAD_LOGIN,
  type ExampleServer,
  PAGE_ASSETS,
  PAGE_HEADERS,
  type StartOptions,
  usernameFrom,
} from '@auth/example-common'
import { authPlugin } from '@auth/fastify'
import Fastify from 'fastify'

/** Builds the app (not listening yet). */
export async function createApp(options: StartOptions) {
  const { engine, transport = 'cookie', tls } = options
  const app = Fastify({ https: tls ?? null })

  // refresh, logout, logout-all, sessions, revoke and jwks under /auth; adds app.requireAuth() and reply.login().
  await app.register(authPlugin, { engine, transport, prefix: '/auth' })

  // The app's own login route. Fastify parses only JSON bodies here, so a cross-site HTML form
  // cannot log a victim into someone else's account (login CSRF): it gets 415.
  app.post('/login', async (request, reply) => {
    const username = usernameFrom(request.body)
    if (username === null) return reply.code(400).send(BAD_LOGIN)
    // A real app checks the password here. Then: start a family, set the cookies (or send the tokens).
    return reply.login(username)
  })

  // Protected routes: the guard verifies the access token (and, for cookies on POST, the CSRF header).
  app.get('/api/me', { preHandler: app.requireAuth() }, async (request) => ({
    sub: request.auth?.sub,
    claims: request.auth,
  }))
  app.post('/api/hello', { preHandler: app.requireAuth() }, async (request) => ({
    message: `hello, ${request.auth?.sub}`,
    at: new Date().toISOString(),
  }))

  // The browser page (cookie mode only: in bearer mode the browser has nowhere safe to keep tokens).
  if (transport === 'cookie') {
    for (const [path, asset] of Object.entries(PAGE_ASSETS)) {
      app.get(path, async (_request, reply) => reply.headers(PAGE_HEADERS).type(asset.contentType).send(asset.body))
    }
  }
  return app
}

/** Builds the app and listens on 127.0.0.1. */
export async function start(options: StartOptions): Promise<ExampleServer> {
  const app = await createApp(options)
  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 })
  return { url, close: () => app.close() }
}
