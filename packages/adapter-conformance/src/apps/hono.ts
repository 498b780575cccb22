import type { AuthHttp } from '@auth/core/http'
import { auth } from '@auth/hono'
import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import { ADMIN_MAX_AUTH_AGE, type AdapterUnderTest, type RunningApp, runningApp, usernameOf } from '../harness.js'

/** The suite's Hono 4 app, served by @hono/node-server. */
export const honoAdapter: AdapterUnderTest = {
  name: 'hono',
  async start(http: AuthHttp, port = 0): Promise<RunningApp> {
    const { routes, metadata, requireAuth, login } = auth({ http, clientIp: (c) => getConnInfo(c).remote.address })
    const app = new Hono()
    app.route('/', routes)
    app.route('/', metadata)
    app.post('/login', async (c) => {
      const username = usernameOf(await c.req.json().catch(() => null))
      if (username === null) return c.json({ error: 'invalid_request' }, 400)
      return login(c, username, { claims: { name: username } })
    })
    app.get('/me', requireAuth(), (c) =>
      c.json({ sub: c.get('auth').sub, sid: c.get('auth').sid, claims: c.get('auth'), user: c.get('user') }),
    )
    app.post('/admin', requireAuth({ maxAuthAge: ADMIN_MAX_AUTH_AGE }), (c) =>
      c.json({ sub: c.get('auth').sub, admin: true }),
    )
    app.get('/maybe', requireAuth({ optional: true }), (c) =>
      c.json({
        auth: c.get('auth') === null ? 'null' : typeof c.get('auth'),
        sub: c.get('auth')?.sub ?? null,
        user: c.get('user'),
      }),
    )
    app.get('/bare', (c) => {
      const seen = c.get('auth')
      return c.json({ ok: true, auth: seen === null ? 'null' : typeof seen })
    })
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
    })
    return runningApp(server)
  },
}
