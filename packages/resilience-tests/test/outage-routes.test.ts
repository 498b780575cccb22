import { type AdapterUnderTest, expressAdapter, fastifyAdapter, honoAdapter, send } from '@auth/adapter-conformance'
import { createEngine } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { createMemoryStore } from '@auth/storage-memory'
import { describe, expect, it } from 'vitest'
import { createFaultyStore } from '../src/faulty-store.js'

const ADAPTERS: readonly AdapterUnderTest[] = [expressAdapter, fastifyAdapter, honoAdapter]
const LEAK = /^\s*at |\bat [^\n]*:\d+:\d+|node_modules|\/work\/|\bError: /im

describe.each(ADAPTERS)('a store outage on every route that needs the store: $name', (adapter) => {
  it.each(['fail', 'timeout'] as const)(
    '%s: 503 + Retry-After on login, refresh, logout, logout-all and sessions',
    async (kind) => {
      const faulty = createFaultyStore(createMemoryStore(), undefined, { timeoutMs: 20 })
      const engine = createEngine({
        store: faulty,
        issuer: 'https://issuer.outage.test',
        audience: 'outage',
        secret: 'EdYZ5V1k/Bi7u/4q5LVQG7O5d38F6FsCECEcNPcPVpE=',
      })
      const app = await adapter.start(createAuthHttp({ engine, prefix: '/auth' }))
      try {
        const login = await send(app.url, '/login', { json: { username: 'alice' } })
        expect(login.status).toBe(200)
        const access = login.json?.access_token as string
        const refresh = login.json?.refresh_token as string
        faulty.setPlan(() => (kind === 'fail' ? { kind, error: 'raw' } : { kind }))
        const replies = {
          login: await send(app.url, '/login', { json: { username: 'bob' } }),
          refresh: await send(app.url, '/auth/refresh', { json: { refresh_token: refresh } }),
          logout: await send(app.url, '/auth/logout', { json: { refresh_token: refresh }, bearer: access }),
          'logout-all': await send(app.url, '/auth/logout-all', { method: 'POST', bearer: access }),
          sessions: await send(app.url, '/auth/sessions', { bearer: access }),
        }
        for (const [route, reply] of Object.entries(replies)) {
          expect(reply.status, `${route}: ${reply.text}`).toBe(503)
          expect(reply.headers.get('retry-after'), route).toMatch(/^\d+$/)
          expect(reply.json?.error, route).toBe('temporarily_unavailable')
          expect(reply.text, route).not.toMatch(LEAK)
        }
        // The guard does not need the store: access tokens keep working through the outage.
        expect((await send(app.url, '/me', { bearer: access })).status).toBe(200)
        faulty.clear()
        expect((await send(app.url, '/auth/refresh', { json: { refresh_token: refresh } })).status).toBe(200)
      } finally {
        await app.close()
      }
    },
  )
})
