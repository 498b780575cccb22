import { createEngine, createRevokedFamilies, type Engine, type RevokedFamilies } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { serviceUrl } from '@auth/core/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisRevocationFeed, createRedisStore, type RedisRevocationFeed, type RedisStore } from '../src/index.js'
import { deletePrefix, randomPrefix } from './redis-harness.js'

const url = serviceUrl('REDIS_URL', 'Redis revocation feed')

interface Node {
  readonly name: string
  readonly engine: Engine
  readonly revocations: RevokedFamilies
  readonly feed: RedisRevocationFeed
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** Kills the Redis connection(s) named `name`, as an operator or a network fault would. */
async function killConnection(admin: Redis, name: string): Promise<number> {
  const list = (await admin.client('LIST')) as string
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /id=(\d+)/.exec(line)?.[1])
  for (const id of ids) if (id) await admin.client('KILL', 'ID', id)
  return ids.length
}

describe.skipIf(!url)('Redis revocation feed (real Redis)', () => {
  const redisUrl = url as string
  const prefix = randomPrefix()
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  let store: RedisStore
  const nodes: Node[] = []

  /** One app node: its own feed (publishing client + subscriber connection), set and engine, on the shared store. */
  function node(name: string, options: { staleness?: string; retryMs?: number } = {}): Node {
    const feed = createRedisRevocationFeed({
      url: redisUrl,
      prefix,
      heartbeatInterval: 100,
      subscriber: () =>
        new Redis(redisUrl, {
          connectionName: `${prefix}-${name}`,
          lazyConnect: true,
          retryStrategy: () => options.retryMs ?? 50,
        }),
    })
    const revocations = createRevokedFamilies({ feed, staleness: options.staleness ?? '5s', onError: () => {} })
    const engine = createEngine({
      store,
      issuer: 'https://issuer.test',
      audience: 'api',
      secret: 'a shared secret of at least thirty-two characters',
      revocations,
    })
    const created = { name, engine, revocations, feed }
    nodes.push(created)
    return created
  }

  beforeAll(() => {
    store = createRedisStore({ url: redisUrl, prefix })
  })

  afterAll(async () => {
    for (const n of nodes) {
      await n.revocations.close()
      await n.feed.close()
    }
    await store?.close()
    await deletePrefix(admin, prefix)
    await admin.quit()
  })

  it('a revoke on node A is refused on node B in well under a second (50 revocations)', async () => {
    const a = node('a')
    const b = node('b')
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const latencies: number[] = []
    for (let i = 0; i < 50; i++) {
      const pair = await a.engine.issue(`user-${i}`)
      expect((await b.engine.verifyAccess(pair.accessToken)).ok).toBe(true) // now in B's verified-token cache
      const start = performance.now()
      const kind = i % 3
      if (kind === 0) expect((await a.engine.revoke(pair.familyId, 'admin')).ok).toBe(true)
      else if (kind === 1) expect((await a.engine.revokeAll(`user-${i}`)).revoked).toBe(1)
      else {
        const rotated = await a.engine.refresh(pair.refreshToken)
        expect(rotated.ok).toBe(true)
        // Reuse outside the grace window: replay generation 0 after a second rotation.
        const again = rotated.ok ? await a.engine.refresh(rotated.pair.refreshToken) : rotated
        expect(again.ok).toBe(true)
        expect(await a.engine.refresh(pair.refreshToken)).toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
      }
      await until('B to refuse', async () => (await b.engine.verifyAccess(pair.accessToken)).ok === false, 2_000)
      latencies.push(performance.now() - start)
      expect(await b.engine.verifyAccess(pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    }
    latencies.sort((x, y) => x - y)
    const p50 = latencies[Math.floor(latencies.length / 2)] as number
    const max = latencies[latencies.length - 1] as number
    console.log(
      `[redis feed] revoke on A -> refused on B over 50 revocations: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    )
    expect(max).toBeLessThan(1_000)
  })

  it('after its subscriber is killed (CLIENT KILL), a node resyncs the revocations it missed', async () => {
    const a = node('a2')
    const b = node('b2', { retryMs: 400 })
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const pairs = await Promise.all([1, 2, 3].map((i) => a.engine.issue(`missed-${i}`)))
    expect(await killConnection(admin, `${prefix}-b2`)).toBe(1)
    for (const pair of pairs) expect((await a.engine.revoke(pair.familyId, 'admin')).ok).toBe(true)
    // B heard none of them: its subscriber is down (and it is still within its staleness bound).
    await until('B to notice the disconnection', () => !b.revocations.status().connected)
    for (const pair of pairs) expect((await b.engine.verifyAccess(pair.accessToken)).ok).toBe(true)
    // ioredis reconnects and resubscribes; the next heartbeat reports connected and the set is resynced.
    await until('B to resync', () => b.revocations.status().synced)
    for (const pair of pairs) {
      expect(await b.engine.verifyAccess(pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    }
  })

  it('a node that cannot hear the feed for longer than the staleness bound fails closed (503 with Retry-After), then recovers', async () => {
    const a = node('a3')
    const c = node('c3', { staleness: '600ms', retryMs: 2_000 })
    await Promise.all([a.revocations.ready(), c.revocations.ready()])
    const http = createAuthHttp({ engine: c.engine })
    const pair = await a.engine.issue('stale-user')
    const request = {
      method: 'GET',
      path: '/api/me',
      headers: new Headers({ authorization: `Bearer ${pair.accessToken}` }),
      body: { kind: 'none' as const },
    }
    expect((await http.authenticate(request)).ok).toBe(true)
    expect(await killConnection(admin, `${prefix}-c3`)).toBe(1)
    await sleep(800)
    await expect(c.engine.verifyAccess(pair.accessToken)).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    const refused = await http.authenticate(request)
    expect(refused.ok).toBe(false)
    if (!refused.ok) {
      expect(refused.response.status).toBe(503)
      expect(refused.response.headers['retry-after']).toBe('1')
    }
    await until('C to reconnect and resync', () => c.revocations.status().synced, 5_000)
    expect((await c.engine.verifyAccess(pair.accessToken)).ok).toBe(true)
  })

  it('the log trims entries whose until has passed, and listRevoked returns only live ones', async () => {
    const feed = createRedisRevocationFeed({ url: redisUrl, prefix: `${prefix}-log` })
    const now = Date.now()
    await feed.publish('old', now - 1)
    await feed.publish('live', now + 60_000)
    await feed.publish('live', now + 30_000) // an earlier until never shortens the entry
    expect(await feed.listRevoked(now)).toEqual([{ familyId: 'live', until: now + 60_000 }])
    expect(await admin.zcard(feed.logKey)).toBe(1)
    await feed.close()
  })
})
