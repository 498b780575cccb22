import { timingSafeEqual } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createEngine } from '@auth/core'
import { authPlugin } from '@auth/fastify'
import { createMemoryStore } from '@auth/storage-memory'
import Fastify from 'fastify'

// Type your own claims once; request.auth knows them everywhere.
declare module '@auth/fastify' {
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

// Your users and your password check: only your app can do this part.
const users = new Map([['alice', { password: 'correct horse battery staple', role: 'admin' as const }]])
function checkPassword(username: unknown, password: unknown) {
  const user = typeof username === 'string' ? users.get(username) : undefined
  if (!user || typeof password !== 'string') return undefined
  const given = Buffer.from(password)
  const expected = Buffer.from(user.password)
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined
}

export const app = Fastify()
// POST /auth/refresh, /auth/logout, /auth/logout-all, /auth/revoke; /auth/sessions; GET /auth/jwks
await app.register(authPlugin, { engine, prefix: '/auth' })

app.post<{ Body: { username?: string; password?: string } }>('/login', async (request, reply) => {
  const user = checkPassword(request.body?.username, request.body?.password)
  if (!user) return reply.code(401).send({ error: 'invalid_credentials' })
  return reply.login(request.body.username as string, { claims: { role: user.role } })
})

app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({
  user: request.auth?.sub,
  role: request.auth?.role,
}))

// Sensitive: the login itself must be less than 5 minutes old, a refreshed token is not enough.
app.post('/account/delete', { preHandler: app.requireAuth({ maxAuthAge: '5m' }) }, async (request) => ({
  deleted: request.auth?.sub,
}))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000)
  await app.listen({ port })
  console.log(`listening on http://localhost:${port}`)
}
