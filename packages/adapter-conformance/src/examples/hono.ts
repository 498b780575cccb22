import { timingSafeEqual } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createEngine } from '@auth/core'
import { auth } from '@auth/hono'
import { createMemoryStore } from '@auth/storage-memory'
import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'

// Type your own claims once; c.get('auth') knows them everywhere.
declare module '@auth/hono' {
  interface AuthClaims {
    role: 'admin' | 'member'
  }
}

const secret = process.env.AUTH_SECRET
if (!secret) throw new Error('set AUTH_SECRET: openssl rand -base64 32')

const engine = createEngine({
  store: createMemoryStore(),
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  secret,
})
const { routes, requireAuth, login } = auth({
  engine,
  prefix: '/auth',
  clientIp: (c) => getConnInfo(c).remote.address, // shown in the session list; runtime-specific
})

// Your users and your password check: only your app can do this part.
const users = new Map([['alice', { password: 'correct horse battery staple', role: 'admin' as const }]])
function checkPassword(username: unknown, password: unknown) {
  const user = typeof username === 'string' ? users.get(username) : undefined
  if (!user || typeof password !== 'string') return undefined
  const given = Buffer.from(password)
  const expected = Buffer.from(user.password)
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined
}

export const app = new Hono()
app.route('/', routes) // POST /auth/refresh, /auth/logout, /auth/logout-all, /auth/revoke; /auth/sessions; GET /auth/jwks

app.post('/login', async (c) => {
  const body = await c.req.json().catch(() => ({}))
  const user = checkPassword(body.username, body.password)
  if (!user) return c.json({ error: 'invalid_credentials' }, 401)
  return login(c, body.username, { claims: { role: user.role } })
})

app.get('/me', requireAuth(), (c) => c.json({ user: c.get('auth').sub, role: c.get('auth').role }))

// Sensitive: the login itself must be less than 5 minutes old, a refreshed token is not enough.
app.post('/account/delete', requireAuth({ maxAuthAge: '5m' }), (c) => c.json({ deleted: c.get('auth').sub }))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000)
  serve({ fetch: app.fetch, port }, () => console.log(`listening on http://localhost:${port}`))
}
