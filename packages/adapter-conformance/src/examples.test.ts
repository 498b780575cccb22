import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { describe, expect, it } from 'vitest'
import { send } from './client.js'
import { expectSafe } from './suite.js'

// The examples read their secret from the environment, as a real app does.
process.env.AUTH_SECRET ??= '6a+OvZG5p+Jbx4Q13AqofrlL7lpzw/jYnDIV115rKtQ='

const ROOT = new URL('../../../', import.meta.url)

/** Each example, and how to put it on an ephemeral port. */
const EXAMPLES = {
  express: async () => {
    const { app } = await import('./examples/express.js')
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    return serving(server)
  },
  fastify: async () => {
    const { app } = await import('./examples/fastify.js')
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  },
  hono: async () => {
    const { app } = await import('./examples/hono.js')
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    return serving(server as Server)
  },
}

function serving(server: Server) {
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The ```ts blocks of a markdown page. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts(?: [^\n]*)?\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '')
}

describe.each(Object.entries(EXAMPLES))('the %s example', (name, start) => {
  it(`is quoted verbatim by docs/adapters/${name}.md, so the page cannot drift`, () => {
    const example = readFileSync(new URL(`./examples/${name}.ts`, import.meta.url), 'utf8')
    const page = readFileSync(new URL(`docs/adapters/${name}.md`, ROOT), 'utf8')
    expect(tsBlocks(page).map((b) => b.trimEnd())).toContain(example.trimEnd())
  })

  it('runs: login, a guarded route with typed claims, refresh, freshness, logout', async () => {
    const app = await start()
    try {
      const login = (password: string) => send(app.url, '/login', { json: { username: 'alice', password } })
      const wrong = await login('wrong')
      expect(wrong.status).toBe(401)
      const ok = expectSafe(await login('correct horse battery staple'))
      expect(ok.status, ok.text).toBe(200)
      const access = ok.json?.access_token as string
      const me = expectSafe(await send(app.url, '/me', { bearer: access }))
      expect(me.json).toEqual({ user: 'alice', role: 'admin' })
      expect(expectSafe(await send(app.url, '/me')).status).toBe(401)
      const refreshed = expectSafe(
        await send(app.url, '/auth/refresh', { json: { refresh_token: ok.json?.refresh_token } }),
      )
      expect(refreshed.status, refreshed.text).toBe(200)
      const fresh = expectSafe(await send(app.url, '/account/delete', { method: 'POST', bearer: access }))
      expect(fresh.json).toEqual({ deleted: 'alice' })
      const out = expectSafe(await send(app.url, '/auth/logout', { method: 'POST', bearer: access }))
      expect(out.status).toBe(204)
      const after = await send(app.url, '/auth/refresh', { json: { refresh_token: refreshed.json?.refresh_token } })
      expect(expectSafe(after).status).toBe(400)
    } finally {
      await app.close()
    }
  })
})
