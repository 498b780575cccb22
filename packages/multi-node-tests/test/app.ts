// One app node: a Fastify server with @auth/fastify, its engine on the shared store (Redis or
// PostgreSQL, chosen by NODE_STORE) and the revocation feed on the same server. It reports
// `{ type: 'ready', url }` over IPC once it listens and its revocation set is synchronised, counts
// the engine's events (GET /stats), and exits on `{ type: 'stop' }`.
import { type AuthEvent, createEngine, createRevokedFamilies, type FamilyStore, type RevocationFeed } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { authPlugin } from '@auth/fastify'
import { createRedisRevocationFeed, createRedisStore } from '@auth/storage-redis'
import { createPostgresRevocationFeed, createSqlStore } from '@auth/storage-sql'
import Fastify from 'fastify'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'

const { NODE_STORE, NODE_URL, NODE_NAMESPACE, NODE_SECRET, NODE_NAME } = process.env
if (!NODE_STORE || !NODE_URL || !NODE_NAMESPACE || !NODE_SECRET || !NODE_NAME || !process.send) {
  throw new Error('app.ts: run me through child_process.fork with the NODE_* environment')
}
const send = process.send.bind(process)

let store: FamilyStore
let feed: RevocationFeed & { close(): Promise<void> }
const closers: Array<() => Promise<unknown>> = []
if (NODE_STORE === 'redis') {
  const redisStore = createRedisStore({ url: NODE_URL, prefix: NODE_NAMESPACE })
  store = redisStore
  feed = createRedisRevocationFeed({ url: NODE_URL, prefix: NODE_NAMESPACE, heartbeatInterval: 250 })
  closers.push(() => redisStore.close())
} else {
  // The race test fires ~170 requests at once at each process: they queue behind 10 pooled
  // connections, on 2 cores shared with the other processes and PostgreSQL itself. Timeouts that
  // would rightly fail fast in production (2 s, the store's 5 s) turn part of that deliberate
  // burst into 503s here, so this app gives the queue room; outage behaviour is tested elsewhere.
  const pool = new pg.Pool({ connectionString: NODE_URL, max: 10, connectionTimeoutMillis: 20_000 })
  const db = new Kysely<never>({ dialect: new PostgresDialect({ pool }) })
  store = createSqlStore({ db, dialect: 'postgres', table: `${NODE_NAMESPACE}_families`, timeoutMs: 20_000 })
  feed = createPostgresRevocationFeed({
    connectionString: NODE_URL,
    pool,
    table: `${NODE_NAMESPACE}_revocations`,
    channel: `${NODE_NAMESPACE}_revoked`,
    applicationName: `${NODE_NAMESPACE}-${NODE_NAME}`,
    heartbeatInterval: 250,
  })
  closers.push(() => db.destroy())
}

const revocations = createRevokedFamilies({ feed, staleness: '3s' })
const counts: Record<AuthEvent['type'], number> = {
  issued: 0,
  rotated: 0,
  replayed: 0,
  reuse_detected: 0,
  revoked: 0,
  expired: 0,
  refresh_refused: 0,
}
const engine = createEngine({
  store,
  issuer: 'https://multi-node.auth.test',
  audience: 'multi-node',
  secret: NODE_SECRET,
  algorithm: 'HS256',
  policy: { reuseGrace: '30s', graceBinding: 'none' },
  revocations,
  onEvent: (event) => {
    counts[event.type]++
  },
})

const app = Fastify()
await app.register(authPlugin, { http: createAuthHttp({ engine }) })
app.post('/login', async (request, reply) => {
  const subject = (request.body as { username?: unknown } | null)?.username
  if (typeof subject !== 'string' || subject === '') return reply.code(400).send({ error: 'invalid_request' })
  return reply.login(subject)
})
app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({
  sub: request.auth?.sub,
  sid: request.auth?.sid,
}))
app.get('/stats', async () => ({ node: NODE_NAME, pid: process.pid, counts }))

await revocations.ready()
const url = await app.listen({ port: 0, host: '127.0.0.1' })
send({ type: 'ready', url, pid: process.pid })

process.on('message', async (message: { type?: string }) => {
  if (message?.type !== 'stop') return
  await app.close()
  await revocations.close()
  await feed.close()
  for (const close of closers) await close()
  process.exit(0)
})
