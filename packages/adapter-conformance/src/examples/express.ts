import { timingSafeEqual } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createEngine } from '@auth/core'
import { createAuth } from '@auth/express'
import { createMemoryStore } from '@auth/storage-memory'
import express from 'express'

// Type your own claims once; req.auth knows them everywhere.
declare module '@auth/express' {
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
const auth = createAuth({ engine, prefix: '/auth' })

// Your users and your password check: only your app can do this part.
const users = new Map([['alice', { password: 'correct horse battery staple', role: 'admin' as const }]])
function checkPassword(username: unknown, password: unknown) {
  const user = typeof username === 'string' ? users.get(username) : undefined
  if (!user || typeof password !== 'string') return undefined
  const given = Buffer.from(password)
  const expected = Buffer.from(user.password)
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined
}

export const app = express()
app.use(auth.router) // POST /auth/refresh, /auth/logout, /auth/logout-all, /auth/revoke; /auth/sessions; GET /auth/jwks

app.post('/login', express.json(), async (req, res) => {
  const user = checkPassword(req.body?.username, req.body?.password)
  if (!user) {
    res.status(401).json({ error: 'invalid_credentials' })
    return
  }
  await auth.login(req, res, req.body.username, { claims: { role: user.role } })
})

app.get('/me', auth.requireAuth(), (req, res) => {
  res.json({ user: req.auth?.sub, role: req.auth?.role })
})

// Sensitive: the login itself must be less than 5 minutes old, a refreshed token is not enough.
app.post('/account/delete', auth.requireAuth({ maxAuthAge: '5m' }), (req, res) => {
  res.json({ deleted: req.auth?.sub })
})

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000)
  app.listen(port, () => console.log(`listening on http://localhost:${port}`))
}
