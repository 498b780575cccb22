// Issue 11 §2: `app.use('/auth', auth.router)` gave a silent 404. Now it works when mounted under
// the prefix itself, and a mount where the routes can never match answers a 500 that says how to fix it.
import { createEngine } from '@auth/core'
import { createTestStore, TEST_SECRET } from '@auth/core/testing'
import { createAuth } from '@auth/express'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function serve(mount: (app: express.Express, router: express.Router) => void, errors: unknown[] = []) {
  const engine = createEngine({
    store: createTestStore(),
    issuer: 'https://i.test',
    audience: 'api',
    secret: TEST_SECRET,
  })
  const auth = createAuth({ engine, onError: (error) => errors.push(error) })
  const app = express()
  app.use(express.json())
  mount(app, auth.router)
  app.post('/login', async (req, res) => {
    await auth.login(req, res, 'alice')
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, errors }
}

async function loginAndRefresh(url: string) {
  const login = (await (await fetch(`${url}/login`, { method: 'POST' })).json()) as { refresh_token: string }
  return fetch(`${url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'mount-test' },
    body: JSON.stringify({ refresh_token: login.refresh_token }),
  })
}

describe('mounting the Express router', () => {
  it('at the root, app.use(auth.router): the routes answer', async () => {
    const { url } = await serve((app, router) => app.use(router))
    expect((await loginAndRefresh(url)).status).toBe(200)
  })

  it("under the prefix itself, app.use('/auth', auth.router): the routes answer too", async () => {
    const { url } = await serve((app, router) => app.use('/auth', router))
    expect((await loginAndRefresh(url)).status).toBe(200)
    expect((await fetch(`${url}/auth/jwks`)).status).toBe(200)
  })

  it("anywhere else, app.use('/api', auth.router): a 500 whose logged error says how to mount it, never a silent 404", async () => {
    const errors: unknown[] = []
    const { url } = await serve((app, router) => app.use('/api', router), errors)
    const reply = await fetch(`${url}/api/refresh`, { method: 'POST' })
    expect(reply.status).toBe(500)
    expect(JSON.stringify(await reply.json())).not.toMatch(/mounted/) // the details stay in the log
    expect(String(errors[0])).toMatch(
      /mounted at \/api.*mount it with app\.use\(auth\.router\), or set prefix: '\/api\/auth'/,
    )
  })
})
