// The auth server of the resource-server test: Fastify + @auth/fastify on Redis, with the
// revocation feed, its keys from AUTH_KEYS (JWKs), its issuer http://127.0.0.1:AUTH_PORT, and the
// RFC 8414 metadata. Reports `{ type: 'ready', url }` over IPC and exits on `{ type: 'stop' }`.
import { createEngine, createKeyRing, createRevokedFamilies, type KeyRingInput } from '@auth/core'
import { authPlugin } from '@auth/fastify'
import { createRedisRevocationFeed, createRedisStore } from '@auth/storage-redis'
import Fastify from 'fastify'

const { AUTH_PORT, AUTH_KEYS, REDIS_URL, NAMESPACE } = process.env
if (!AUTH_PORT || !AUTH_KEYS || !REDIS_URL || !NAMESPACE || !process.send) {
  throw new Error('auth-server.ts: run me through child_process.fork with AUTH_PORT, AUTH_KEYS, REDIS_URL, NAMESPACE')
}
const send = process.send.bind(process)
const input = JSON.parse(AUTH_KEYS) as {
  signing: KeyRingInput['signing']
  refresh: { kid: string; secret: string }[]
  activeSigningKid: string
}
const keys = createKeyRing({
  signing: input.signing,
  activeSigningKid: input.activeSigningKid,
  refresh: input.refresh.map((key) => ({ kid: key.kid, secret: new Uint8Array(Buffer.from(key.secret, 'base64')) })),
})
const store = createRedisStore({ url: REDIS_URL, prefix: NAMESPACE })
const feed = createRedisRevocationFeed({ url: REDIS_URL, prefix: NAMESPACE, heartbeatInterval: 250 })
const revocations = createRevokedFamilies({ feed, staleness: '3s' })
const issuer = `http://127.0.0.1:${AUTH_PORT}`
const engine = createEngine({
  store,
  issuer,
  audience: 'api',
  keys,
  revocations,
  policy: { graceBinding: 'none' },
})
const app = Fastify()
await app.register(authPlugin, { engine })
app.post('/login', async (request, reply) => {
  const subject = (request.body as { username?: unknown } | null)?.username
  if (typeof subject !== 'string' || subject === '') return reply.code(400).send({ error: 'invalid_request' })
  return reply.login(subject)
})
await revocations.ready()
await app.listen({ port: Number(AUTH_PORT), host: '127.0.0.1' })
send({ type: 'ready', url: issuer })

process.on('message', async (message: { type?: string }) => {
  if (message?.type !== 'stop') return
  await app.close()
  await revocations.close()
  await feed.close()
  await store.close()
  process.exit(0)
})
