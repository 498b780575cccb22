import { createServer, type Server, type Socket } from 'node:net'
import { type AuthErrorCode, isAuthError } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { makeRecord, rotate } from '@auth/storage-conformance'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisStore, type RedisStore } from '../src/index.js'
import { deletePrefix, randomPrefix } from './redis-harness.js'

const TIMEOUT = 500
/** Generous room over the timeout for a loaded 2-core machine; a hang would blow far past it. */
const SLACK = 1500

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | 'resolved' | 'not an AuthError'> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    return isAuthError(error) ? error.code : 'not an AuthError'
  }
}

/** Every store operation fails with ERR_STORAGE_UNAVAILABLE, each within the timeout. */
async function expectEveryCallUnavailable(store: RedisStore): Promise<void> {
  const record = makeRecord(Date.now())
  const calls: [string, () => Promise<unknown>][] = [
    ['create', () => store.create(record)],
    ['get', () => store.get(record.id)],
    ['compareAndSet', () => store.compareAndSet(record.id, 1, rotate(record, Date.now()))],
    ['listBySubject', () => store.listBySubject(record.subject, { limit: 100 })],
  ]
  for (const [name, call] of calls) {
    const started = performance.now()
    expect(await codeOf(call()), name).toBe('ERR_STORAGE_UNAVAILABLE')
    expect(performance.now() - started, `${name} took too long`).toBeLessThan(TIMEOUT + SLACK)
  }
}

describe('redis outages fail closed and fast', () => {
  it('a closed port (driver-owned client): ERR_STORAGE_UNAVAILABLE within the timeout', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', commandTimeout: TIMEOUT })
    try {
      await expectEveryCallUnavailable(store)
    } finally {
      await store.close()
    }
  })

  it('a closed port (user-owned client with ioredis defaults and an offline queue): still bounded', async () => {
    const client = new Redis('redis://127.0.0.1:1', { retryStrategy: () => 200 })
    client.on('error', () => {})
    const store = createRedisStore({ client, commandTimeout: TIMEOUT })
    try {
      await expectEveryCallUnavailable(store)
    } finally {
      client.disconnect()
    }
  })

  describe('a server that accepts connections and never answers', () => {
    let server: Server
    let port = 0
    const sockets = new Set<Socket>()
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })
    it('gives ERR_STORAGE_UNAVAILABLE within the timeout', async () => {
      const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeout: TIMEOUT })
      try {
        await expectEveryCallUnavailable(store)
      } finally {
        await store.close()
      }
    })
  })
})

const url = serviceUrl('REDIS_URL', 'Redis driver')

describe.skipIf(!url)('redis driver details', () => {
  it('close() leaves a client the user passed in open; a driver-owned one is quit', async () => {
    const prefix = randomPrefix()
    const client = new Redis(url as string)
    try {
      const store = createRedisStore({ client, prefix })
      const record = makeRecord(Date.now())
      expect(await store.create(record)).toMatchObject({ ok: true })
      await store.close()
      expect(client.status).toBe('ready')
      expect(await store.get(record.id)).toEqual(record)

      const owned = createRedisStore({ url: url as string, prefix })
      expect(await owned.get(record.id)).toEqual(record)
      await owned.close()
      expect(await codeOf(owned.get(record.id))).toBe('ERR_STORAGE_UNAVAILABLE')
    } finally {
      await deletePrefix(client, prefix)
      await client.quit()
    }
  })

  it('key layout: a family and its index entry use hash-tagged keys, with native expiry', async () => {
    const prefix = randomPrefix()
    const client = new Redis(url as string)
    try {
      const store = createRedisStore({ client, prefix })
      const now = Date.now()
      const record = makeRecord(now, { idleExpiresAt: now + 60_000, expiresAt: now + 120_000 })
      await store.create(record)
      expect(store.familyKey(record.id)).toBe(`${prefix}:fam:{${record.id}}`)
      expect(store.subjectKey(record.subject)).toBe(`${prefix}:sub:{${record.subject}}`)
      expect(await client.pexpiretime(store.familyKey(record.id))).toBe(record.idleExpiresAt)
      // The index remembers the family as long as it could live (its absolute expiry).
      expect(await client.zscore(store.subjectKey(record.subject), record.id)).toBe(String(record.expiresAt))
      expect(await client.pexpiretime(store.subjectKey(record.subject))).toBe(record.expiresAt)
      const next = rotate(record, now + 1000)
      await store.compareAndSet(record.id, 1, next)
      expect(await client.pexpiretime(store.familyKey(record.id))).toBe(next.idleExpiresAt)
    } finally {
      await deletePrefix(client, prefix)
      await client.quit()
    }
  })

  it('reads a record written before schema 2 (no claims, policy, clientId, jkt) with their defaults, and rotates it', async () => {
    const prefix = randomPrefix()
    const client = new Redis(url as string)
    try {
      const store = createRedisStore({ client, prefix })
      const now = Date.now()
      const record = makeRecord(now, {
        idleExpiresAt: now + 60_000,
        expiresAt: now + 120_000,
        claims: { role: 'admin' },
        clientId: 'web',
      })
      await store.create(record)
      const key = store.familyKey(record.id)
      const stored = JSON.parse((await client.hget(key, 'r')) as string) as Record<string, unknown>
      for (const name of ['claims', 'policy', 'clientId', 'jkt']) delete stored[name]
      await client.hset(key, 'r', JSON.stringify(stored))
      const read = await store.get(record.id)
      expect(read).toEqual({ ...record, claims: {}, policy: null, clientId: null, jkt: null })
      expect(Object.keys(read as object)).toEqual(Object.keys(record))
      const next = rotate(read as typeof record, now + 1000)
      expect(await store.compareAndSet(record.id, record.version, next)).toEqual({ ok: true })
      expect(await store.get(record.id)).toEqual(next)
    } finally {
      await deletePrefix(client, prefix)
      await client.quit()
    }
  })

  it('refuses a prefix with braces (it would pin every key to one Cluster slot) and a bad url', () => {
    expect(() => createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: '{auth}' })).toThrow(/prefix/)
    expect(() => createRedisStore({ url: 'http://127.0.0.1:6379' })).toThrow(/url/)
    expect(() => createRedisStore({ url: 'redis://127.0.0.1:6379', commandTimeout: 0 })).toThrow(/commandTimeout/)
  })
})
