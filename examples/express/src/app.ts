// A complete Express 5 app on @auth/express: the library's routes under /auth, the app's own
// login route, two protected API routes, and the browser page. `main.ts` runs it; `pnpm demo`
// and the browser test start it with their own engine.
import { createServer as createHttpServer, type Server } from 'node:http'
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
import { createAuth } from '@auth/express'
import express from 'express'

/** Builds the app (not listening yet). */
export function createApp(options: StartOptions): express.Express {
  const { engine, transport = 'cookie' } = options
  const app = express()
  const auth = createAuth({ engine, transport, prefix: '/auth' })

  // refresh, logout, logout-all, sessions, revoke and jwks under /auth. Mount at the root: the
  // prefix is the full public path (the refresh cookie is scoped to /auth).
  app.use(auth.router)

  // The app's own login route. Only JSON is parsed, so a cross-site HTML form cannot log a
  // victim into someone else's account (login CSRF): its body stays unread and is refused.
  app.post('/login', express.json({ limit: '1kb' }), async (req, res) => {
    const username = usernameFrom(req.body)
    if (username === null) {
      res.status(400).json(BAD_LOGIN)
      return
    }
    // A real app checks the password here. Then: start a family, set the cookies (or send the tokens).
    await auth.login(req, res, username)
  })

  // Protected routes: the guard verifies the access token (and, for cookies on POST, the CSRF header).
  app.get('/api/me', auth.requireAuth(), (req, res) => {
    res.json({ sub: req.auth?.sub, claims: req.auth })
  })
  app.post('/api/hello', auth.requireAuth(), (req, res) => {
    res.json({ message: `hello, ${req.auth?.sub}`, at: new Date().toISOString() })
  })

  // The browser page (cookie mode only: in bearer mode the browser has nowhere safe to keep tokens).
  if (transport === 'cookie') {
    for (const [path, asset] of Object.entries(PAGE_ASSETS)) {
      app.get(path, (_req, res) => {
        res.set(PAGE_HEADERS).type(asset.contentType).send(asset.body)
      })
    }
  }
  return app
}

/** Builds the app and listens on 127.0.0.1 (HTTPS when `tls` is given). */
export async function start(options: StartOptions): Promise<ExampleServer> {
  const app = createApp(options)
  const server: Server = options.tls === undefined ? createHttpServer(app) : createHttpsServer(options.tls, app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
