// Issue 11: unknown option keys are refused with the nearest valid name in the adapters and the
// drivers too, and the Fastify plugin accepts Fastify's own register options.
import { createEngine } from '@auth/core'
import { createTestStore, TEST_SECRET } from '@auth/core/testing'
import { createAuth } from '@auth/express'
import { authPlugin } from '@auth/fastify'
import { auth } from '@auth/hono'
import { createMemoryStore } from '@auth/storage-memory'
import { createRedisStore } from '@auth/storage-redis'
import { createSqlStore } from '@auth/storage-sql'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'

const engine = createEngine({
  store: createTestStore(),
  issuer: 'https://i.test',
  audience: 'api',
  secret: TEST_SECRET,
})

describe('unknown options in adapters and drivers', () => {
  it('Express, Hono and Fastify name the nearest option', async () => {
    expect(() => createAuth({ engine, transprt: 'cookie' } as never)).toThrow(/did you mean transport\?/)
    expect(() => auth({ engine, bodylimit: 2048 } as never)).toThrow(/did you mean bodyLimit\?/)
    const app = Fastify()
    await expect(app.register(authPlugin, { engine, realmm: 'x' } as never).ready()).rejects.toThrow(
      /did you mean realm\?/,
    )
  })

  it("the Fastify plugin accepts Fastify's own register options (prefix, logLevel)", async () => {
    const app = Fastify()
    await app.register(authPlugin, { engine, prefix: '/auth', logLevel: 'warn' })
    await app.ready()
    expect((await app.inject({ method: 'GET', url: '/auth/jwks' })).statusCode).toBe(200)
    await app.close()
  })

  it('requireAuth() validates its options where the route is declared, on all three adapters (not per request)', async () => {
    const bad = { maxAuthAge: '5 minutez' }
    const message =
      /requireAuth: maxAuthAge "5 minutez" is not a duration; give seconds \(300\) or a string such as '5m'/
    expect(() => createAuth({ engine }).requireAuth(bad)).toThrow(message)
    expect(() => auth({ engine }).requireAuth(bad)).toThrow(message)
    const app = Fastify()
    await app.register(authPlugin, { engine })
    await app.ready()
    expect(() => app.requireAuth(bad)).toThrow(message)
    expect(() => app.requireAuth({ maxAge: 300 } as never)).toThrow(/did you mean maxAuthAge\?/)
    expect(() => createAuth({ engine }).requireAuth({ locations: ['cookie'] })).toThrow(
      /'cookie' needs transport: 'cookie'/,
    )
    await app.close()
  })

  it('the memory, Redis and SQL drivers', () => {
    expect(() => createMemoryStore({ clok: Date } as never)).toThrow(/did you mean clock\?/)
    expect(() => createRedisStore({ url: 'redis://127.0.0.1:6379', timeoutMs: 5 } as never)).toThrow(
      /did you mean commandTimeout\?/,
    )
    expect(() => createSqlStore({ dialect: 'sqlite', tableName: 'x' } as never)).toThrow(/did you mean table\?/)
  })
})
