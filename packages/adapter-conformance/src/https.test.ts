// Issue 11 §2: cookie transport over plain http sets Secure cookies that browsers drop. Each
// adapter refuses that with a stable code (and logs it), loopback hosts are exempt, and each
// framework's trust-proxy setting decides what "the request came over https" means, for the
// cookies and for the client address recorded with the family.
import { request, type Server } from 'node:http'
import { createEngine } from '@auth/core'
import { type AuthHttp, createAuthHttp } from '@auth/core/http'
import { createAuth } from '@auth/express'
import { authPlugin } from '@auth/fastify'
import { auth as honoAuth } from '@auth/hono'
import { createMemoryStore } from '@auth/storage-memory'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningApp, runningApp } from './harness.js'
import { SECRET } from './suite.js'

type Start = (http: AuthHttp, trustProxy: boolean) => Promise<RunningApp>

const APPS: Record<string, Start> = {
  async express(http, trustProxy) {
    const app = express()
    if (trustProxy) app.set('trust proxy', true)
    const auth = createAuth({ http })
    app.use(auth.router)
    app.post('/login', async (req, res) => {
      await auth.login(req, res, 'alice')
    })
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    return runningApp(server)
  },
  async fastify(http, trustProxy) {
    const app = Fastify({ trustProxy, logger: false })
    await app.register(authPlugin, { http })
    app.post('/login', async (_request, reply) => reply.login('alice'))
    await app.listen({ port: 0, host: '127.0.0.1' })
    return runningApp(app.server)
  },
  async hono(http, trustProxy) {
    const a = honoAuth({ http, trustProxy })
    const app = new Hono()
    app.route('/', a.routes)
    app.post('/login', (c) => a.login(c, 'alice'))
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
    })
    return runningApp(server)
  },
}

describe.each(Object.entries(APPS))('%s: Secure cookies need https', (_name, start) => {
  let app: RunningApp | undefined
  const logged: unknown[] = []
  afterEach(async () => {
    await app?.close()
    app = undefined
    logged.length = 0
  })
  const boot = async (trustProxy: boolean) => {
    const engine = createEngine({
      store: createMemoryStore(),
      issuer: 'https://app.example.com',
      audience: 'app',
      secret: SECRET,
    })
    const http = createAuthHttp({ engine, transport: 'cookie', onError: (error) => logged.push(error) })
    app = await start(http, trustProxy)
    return { app, engine }
  }
  // node:http, not fetch: fetch does not let a client set the Host header.
  const login = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; json: () => Promise<unknown>; headers: { getSetCookie(): string[] } }>(
      (resolve, reject) => {
        const req = request(
          `${url}/login`,
          { method: 'POST', headers: { 'user-agent': 'test', ...headers } },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8')
              const cookies = res.headers['set-cookie'] ?? []
              resolve({
                status: res.statusCode ?? 0,
                json: async () => JSON.parse(text),
                headers: { getSetCookie: () => cookies },
              })
            })
          },
        )
        req.on('error', reject)
        req.end()
      },
    )

  it('plain http to a public host: 500 ERR_HTTPS_REQUIRED, logged, and no family is created', async () => {
    const { app, engine } = await boot(false)
    const response = await login(app.url, { host: 'app.example.com', 'x-forwarded-proto': 'https' })
    expect(response.status).toBe(500)
    expect(((await response.json()) as { code: string }).code).toBe('ERR_HTTPS_REQUIRED')
    expect(response.headers.getSetCookie()).toEqual([])
    expect(logged).toHaveLength(1)
    expect(String((logged[0] as Error).message)).toMatch(/trust-proxy setting/)
    expect(await engine.list('alice')).toEqual([])
  })

  it('loopback hosts are exempt: browsers keep Secure cookies on localhost', async () => {
    const { app } = await boot(false)
    for (const host of ['localhost', '127.0.0.1']) {
      const response = await login(app.url, { host: `${host}:3000` })
      expect(response.status, host).toBe(200)
      expect(response.headers.getSetCookie().some((c) => /Secure/.test(c))).toBe(true)
    }
  })

  it('behind a trusted proxy, X-Forwarded-Proto: https is https, and the family records the forwarded client address', async () => {
    const { app, engine } = await boot(true)
    const response = await login(app.url, {
      host: 'app.example.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-for': '198.51.100.23',
    })
    expect(response.status).toBe(200)
    expect(response.headers.getSetCookie().length).toBeGreaterThan(0)
    const [family] = await engine.list('alice')
    expect(family?.meta.ip).toBe('198.51.100.23')
    expect(logged).toEqual([])
  })
})
