import type { Server } from 'node:http'
import type { AuthHttp } from '@auth/core/http'
import { createAuth } from '@auth/express'
import express from 'express'
import { ADMIN_MAX_AUTH_AGE, type AdapterUnderTest, type RunningApp, runningApp, usernameOf } from '../harness.js'

/** The suite's Express 5 app. */
export const expressAdapter: AdapterUnderTest = {
  name: 'express',
  async start(http: AuthHttp, port = 0): Promise<RunningApp> {
    const auth = createAuth({ http })
    const app = express()
    app.use(auth.router)
    app.use(auth.metadata)
    app.post('/login', express.json(), async (req, res) => {
      const username = usernameOf(req.body)
      if (username === null) {
        res.status(400).json({ error: 'invalid_request' })
        return
      }
      await auth.login(req, res, username, { claims: { name: username } })
    })
    app.get('/me', auth.requireAuth(), (req, res) => {
      res.json({ sub: req.auth?.sub, sid: req.auth?.sid, claims: req.auth, user: req.user ?? null })
    })
    app.get('/maybe', auth.requireAuth({ optional: true }), (req, res) => {
      res.json({
        auth: req.auth === null ? 'null' : typeof req.auth,
        sub: req.auth?.sub ?? null,
        user: req.user ?? null,
      })
    })
    app.post('/admin', auth.requireAuth({ maxAuthAge: ADMIN_MAX_AUTH_AGE }), (req, res) => {
      res.json({ sub: req.auth?.sub, admin: true })
    })
    app.get('/bare', (req, res) => {
      res.json({ ok: true, auth: req.auth === null ? 'null' : typeof req.auth })
    })
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s))
    })
    return runningApp(server)
  },
}
