import { createEngine, createRevokedFamilies, type RevokedFamilies } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { revocationFeedSuite } from '@auth/storage-conformance'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisRevocationFeed, createRedisStore, type RedisRevocationFeed, type RedisStore } from '../src/index.js'
import { deletePrefix, randomPrefix } from './redis-harness.js'

const url = serviceUrl('REDIS_URL', 'Redis revocation feed')

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
  const nodes: { revocations: RevokedFamilies; feed: RedisRevocationFeed }[] = []

  /** One app node: its own feed (publishing client + subscriber connection), set and engine, on the shared store. */
  function node(name: string, options: { staleness?: string; reconnectMs?: number } = {}) {
    const feed = createRedisRevocationFeed({
      url: redisUrl,
      prefix,
      heartbeatInterval: 100,
      subscriber: () =>
        new Redis(redisUrl, {
          connectionName: `${prefix}-${name}`,
          lazyConnect: true,
          retryStrategy: () => options.reconnectMs ?? 50,
        }),
    })
    const revocations = createRevokedFamilies({ feed, staleness: options.staleness ?? '5s', onError: () => {} })
    const engine = createEngine({
      store,
      issuer: 'https://issuer.test',
      audience: 'api',
      secret: 'u+o5W5mjwP6YtTDKB/FawjHWwF7XkAxSfDrAUNamP0M=',
      revocations,
    })
    nodes.push({ revocations, feed })
    return { engine, revocations }
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

  revocationFeedSuite({
    label: '[redis feed]',
    disconnection: 'its subscriber is killed (CLIENT KILL)',
    revokeWays: ['revoke', 'revokeAll', 'reuse'],
    node,
    disconnect: (name) => killConnection(admin, `${prefix}-${name}`),
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
