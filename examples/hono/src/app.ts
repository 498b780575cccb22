// A complete Hono 4 app on @auth/hono, served by @hono/node-server: the library's routes under
// /auth, the app's own login route, two protected API routes, and the browser page. `main.ts`
// runs it; `pnpm demo` and the browser test start it with their own engine.
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  BAD_LOGIN,
  type ExampleServer,
  PAGE_ASSETS,
  PAGE_HEADERS,
  type StartOptions,
  usernameFrom,
} from '@auth/example-common'
import { auth } from '@auth/hono'
import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'

/** Builds the app. */
export function createApp(options: StartOptions): Hono {
  const { engine, transport = 'cookie' } = options
  const app = new Hono()
  // The client address is runtime-specific in Hono; on Node it comes from the socket.
  const { routes, requireAuth, login } = auth({
    engine,
    transport,
    prefix: '/auth',
    clientIp: (c) => getConnInfo(c).remote.address,
  })

  // refresh, logout, logout-all, sessions, revoke and jwks under /auth.
  app.route('/', routes)

  // The app's own login route. Only a JSON body is read, so a cross-site HTML form cannot log
  // a victim into someone else's account (login CSRF).
  app.post('/login', async (c) => {
    const body: unknown = c.req.header('content-type')?.startsWith('application/json')
      ? await c.req.json().catch(() => null)
      : null
    const username = usernameFrom(body)
    if (username === null) return c.json(BAD_LOGIN, 400)
    // A real app checks the password here. Then: start a family, set the cookies (or send the tokens).
    return login(c, username)
  })

  // Protected routes: the guard verifies the access token (and, for cookies on POST, the CSRF header).
  app.get('/api/me', requireAuth(), (c) => c.json({ sub: c.get('auth').sub, claims: c.get('auth') }))
  app.post('/api/hello', requireAuth(), (c) =>
    c.json({ message: `hello, ${c.get('auth').sub}`, at: new Date().toISOString() }),
  )

  // The browser page (cookie mode only: in bearer mode the browser has nowhere safe to keep tokens).
  if (transport === 'cookie') {
    for (const [path, asset] of Object.entries(PAGE_ASSETS)) {
      app.get(path, (c) => c.body(asset.body, 200, { ...PAGE_HEADERS, 'content-type': asset.contentType }))
    }
  }
  return app
}

/** Builds the app and serves it on 127.0.0.1 (HTTPS when `tls` is given). */
export async function start(options: StartOptions): Promise<ExampleServer> {
  const app = createApp(options)
  const { tls } = options
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: '127.0.0.1',
        port: options.port ?? 0,
        ...(tls === undefined
          ? {}
          : { createServer: createHttpsServer, serverOptions: { key: tls.key, cert: tls.cert } }),
      },
      () => resolve(s),
    )
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
