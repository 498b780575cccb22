// A resource server of the resource-server test: Express or Hono (RS_FRAMEWORK) with only a
// verifier (no engine, no store) on the auth server's JWKS and the Redis revocation feed. GET /me
// is guarded; GET /stats says how many JWKS fetches the verifier made.
import type { Server } from 'node:http'
import { createRevokedFamilies } from '@auth/core'
import { createVerifier } from '@auth/core/verifier'
import { createAuth } from '@auth/express'
import { auth as honoAuth } from '@auth/hono'
import { createRedisRevocationFeed } from '@auth/storage-redis'
import { serve } from '@hono/node-server'
import express from 'express'
import { Hono } from 'hono'

const { RS_FRAMEWORK, ISSUER, REDIS_URL, NAMESPACE } = process.env
if (!RS_FRAMEWORK || !ISSUER || !REDIS_URL || !NAMESPACE || !process.send) {
  throw new Error(
    'resource-server.ts: run me through child_process.fork with RS_FRAMEWORK, ISSUER, REDIS_URL, NAMESPACE',
  )
}
const send = process.send.bind(process)
const feed = createRedisRevocationFeed({ url: REDIS_URL, prefix: NAMESPACE, heartbeatInterval: 250 })
const revocations = createRevokedFamilies({ feed, staleness: '3s' })
// Short cache and cooldown, so that the test sees a removed key go within seconds, not 10 minutes.
const verifier = createVerifier({
  issuer: ISSUER,
  audience: 'api',
  jwksUri: `${ISSUER}/auth/jwks`,
  cacheMaxAge: '2s',
  cooldown: '0.5s',
  revocations,
})
await revocations.ready()
await verifier.check()

let server: Server
if (RS_FRAMEWORK === 'express') {
  const auth = createAuth({ verifier })
  const app = express()
  app.get('/me', auth.requireAuth(), (req, res) => res.json({ sub: req.auth?.sub }))
  app.get('/stats', (_req, res) => res.json({ fetches: verifier.fetches() }))
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
} else {
  const { requireAuth } = honoAuth({ verifier })
  const app = new Hono()
  app.get('/me', requireAuth(), (c) => c.json({ sub: c.get('auth').sub }))
  app.get('/stats', (c) => c.json({ fetches: verifier.fetches() }))
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
  })
}
const { port } = server.address() as { port: number }
send({ type: 'ready', url: `http://127.0.0.1:${port}` })

process.on('message', async (message: { type?: string }) => {
  if (message?.type !== 'stop') return
  server.close()
  await revocations.close()
  await feed.close()
  process.exit(0)
})
