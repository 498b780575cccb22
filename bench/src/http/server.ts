// One app server for the HTTP benchmarks, in its own process (forked by sections/http.ts).
//   argv: --adapter express|fastify|hono --store memory|redis
// Routes: GET /bare (no auth), GET /noop (the bare handler behind a do-nothing middleware: the
// framework's own cost of one middleware), GET /protected (guard + tiny JSON), POST /login (login helper,
// no password), and the http layer's routes under /auth (POST /auth/refresh...).
// IPC: sends { type: 'ready', url }; answers { type: 'issue', n, file } by issuing n families
// and writing their refresh tokens (one a line) to `file`, then { type: 'issued' }.
import { writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createEngine, type Engine } from '@auth/core'
import { type AuthHttp, createAuthHttp } from '@auth/core/http'
import { createAuth } from '@auth/express'
import { authPlugin } from '@auth/fastify'
import { auth as honoAuth } from '@auth/hono'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { AUDIENCE, ISSUER } from '../lib/fixtures.js'
import { type AdapterName, BENCH_USER_AGENT, SECRET } from '../lib/http-config.js'
import { openStore, type StoreKind } from '../lib/stores.js'

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? process.argv[i + 1] : undefined
  if (!value) throw new Error(`server: --${name} is required`)
  return value
}

const adapter = arg('adapter') as AdapterName
const storeKind = arg('store') as StoreKind
const bench = await openStore(storeKind, { poolSize: 32 })
const engine = createEngine({ store: bench.store, issuer: ISSUER, audience: AUDIENCE, secret: SECRET })
const http = createAuthHttp({ engine, transport: 'bearer', prefix: '/auth' })
let logins = 0
const nextSubject = () => `login-${process.pid}-${logins++}`

const started = await start(adapter, http)
send({ type: 'ready', url: started.url })

process.on('message', async (message: { type: string; n?: number; file?: string }) => {
  try {
    if (message.type === 'issue') {
      const tokens = await issueMany(engine, message.n ?? 0)
      writeFileSync(message.file as string, `${tokens.join('\n')}\n`)
      send({ type: 'issued', n: tokens.length })
    } else if (message.type === 'access') {
      const pair = await engine.issue('protected-user', { meta: { userAgent: BENCH_USER_AGENT } })
      send({ type: 'access', token: pair.accessToken })
    } else if (message.type === 'cpu') {
      const usage = process.cpuUsage()
      send({ type: 'cpu', micros: usage.user + usage.system })
    } else if (message.type === 'memory') {
      // After a full collection when --expose-gc is on: what is live, not what awaits the collector.
      ;(globalThis as { gc?: () => void }).gc?.()
      const { rss, heapUsed } = process.memoryUsage()
      send({ type: 'memory', rss, heapUsed })
    } else if (message.type === 'stop') {
      await started.close()
      await bench.close()
      process.exit(0)
    }
  } catch (error) {
    send({ type: 'error', message: String((error as Error)?.stack ?? error) })
  }
})

function send(message: unknown): void {
  process.send?.(message)
}

async function issueMany(engine: Engine, n: number): Promise<string[]> {
  const tokens: string[] = []
  for (let i = 0; i < n; i += 128) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(128, n - i) }, () =>
        engine.issue(nextSubject(), { meta: { userAgent: BENCH_USER_AGENT } }),
      ),
    )
    for (const pair of batch) tokens.push(pair.refreshToken)
  }
  return tokens
}

interface Started {
  readonly url: string
  close(): Promise<void>
}

async function start(name: AdapterName, http: AuthHttp): Promise<Started> {
  switch (name) {
    case 'express': {
      const auth = createAuth({ http })
      const app = express()
      app.set('etag', false)
      app.use(auth.router)
      app.get('/bare', (_req, res) => {
        res.json({ ok: true, sub: 'anonymous' })
      })
      app.get(
        '/noop',
        // Async, as a guard must be (it awaits the verification): Express 5 then runs the rest on a microtask.
        async (_req, _res, next) => {
          next()
        },
        (_req, res) => {
          res.json({ ok: true, sub: 'anonymous' })
        },
      )
      app.get('/protected', auth.requireAuth(), (req, res) => {
        res.json({ ok: true, sub: req.auth?.sub })
      })
      app.post('/login', async (req, res) => {
        await auth.login(req, res, nextSubject())
      })
      const server = await new Promise<import('node:http').Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s))
      })
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      }
    }
    case 'fastify': {
      const app = Fastify({ logger: false })
      await app.register(authPlugin, { http })
      app.get('/bare', async () => ({ ok: true, sub: 'anonymous' }))
      app.get('/noop', { preHandler: async () => {} }, async () => ({ ok: true, sub: 'anonymous' }))
      app.get('/protected', { preHandler: app.requireAuth() }, async (request) => ({
        ok: true,
        sub: request.auth?.sub,
      }))
      app.post('/login', async (_request, reply) => reply.login(nextSubject()))
      const url = await app.listen({ port: 0, host: '127.0.0.1' })
      return { url, close: () => app.close() }
    }
    case 'hono': {
      const { routes, requireAuth, login } = honoAuth({ http })
      const app = new Hono()
      app.route('/', routes)
      app.get('/bare', (c) => c.json({ ok: true, sub: 'anonymous' }))
      app.get(
        '/noop',
        async (_c, next) => {
          await next()
        },
        (c) => c.json({ ok: true, sub: 'anonymous' }),
      )
      app.get('/protected', requireAuth(), (c) => c.json({ ok: true, sub: c.get('auth').sub }))
      app.post('/login', (c) => login(c, nextSubject()))
      const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
      })
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((resolve) => {
            server.close(() => resolve())
            if ('closeAllConnections' in server) server.closeAllConnections()
          }),
      }
    }
    default: {
      const _never: never = name
      throw new Error(`unknown adapter ${String(_never)}`)
    }
  }
}
