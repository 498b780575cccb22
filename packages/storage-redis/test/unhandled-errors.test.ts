// Issue 11 §4: a Redis that is down must not flood the log with "[ioredis] Unhandled error event"
// from clients the driver opened itself (from a `url`). Nothing listens on the port used here.
import { createServer } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRedisRevocationFeed, createRedisStore } from '../src/index.js'

/** A local port with nothing listening on it (bound once, then released). */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('clients the Redis driver owns, while Redis is down', () => {
  afterEach(() => vi.restoreAllMocks())

  it('the store and the revocation feed fail their calls, and print no unhandled error events', async () => {
    const printed: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => printed.push(args.map(String).join(' ')))
    const url = `redis://127.0.0.1:${await deadPort()}`
    const store = createRedisStore({ url, commandTimeout: 200 })
    const feed = createRedisRevocationFeed({ url, commandTimeout: 200 })
    await expect(store.get('family')).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    await expect(feed.listRevoked(Date.now())).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    await new Promise((resolve) => setTimeout(resolve, 500)) // a few reconnect attempts
    await store.close()
    await feed.close?.()
    expect(printed.filter((line) => line.includes('Unhandled error event'))).toEqual([])
  })
})
