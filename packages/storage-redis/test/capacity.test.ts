// Review finding 2, the Redis proof at the size it was found: 150,000 families of one subject made
// `list` and `revokeAll` throw ERR_STORAGE_UNAVAILABLE on every call (one deadline over one HMGET
// per index entry). Now each page is one call inside the deadline, and revoked entries leave the index.
import { createEngine, type FamilyStore } from '@auth/core'
import { makeRecord, newSubject, serviceUrl, TEST_SECRET } from '@auth/core/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeRecord } from '../src/codec.js'
import { createRedisStore, type RedisStore } from '../src/index.js'
import { deletePrefix, randomPrefix } from './redis-harness.js'

const url = serviceUrl('REDIS_URL', 'Redis capacity')
const FAMILIES = 150_000

describe.skipIf(!url)('redis: one subject with 150,000 families', () => {
  let admin: Redis
  let store: RedisStore
  const prefix = randomPrefix()

  beforeAll(() => {
    admin = new Redis(url as string, { maxRetriesPerRequest: 1 })
    store = createRedisStore({ url: url as string, prefix })
  })
  afterAll(async () => {
    await store.close()
    await deletePrefix(admin, prefix)
    await admin.quit()
  })

  it('150,000 index entries seeded by pipeline: revokeAll ends them all, a page per call inside the 2 s deadline, and the index is empty after', async () => {
    const subject = newSubject('service-account')
    const now = Date.now()
    // Seeded as the driver stores them (hash + expiry + index entry), by pipeline: no engine, no signing.
    for (let i = 0; i < FAMILIES; i += 10_000) {
      const pipeline = admin.pipeline()
      for (let j = i; j < Math.min(i + 10_000, FAMILIES); j++) {
        const record = makeRecord(now, { subject })
        const score = Math.max(record.expiresAt, record.idleExpiresAt)
        const key = store.familyKey(record.id)
        pipeline.hset(
          key,
          'v',
          String(record.version),
          's',
          subject,
          'x',
          String(score),
          'r',
          encodeRecord(record, 'seed'),
        )
        pipeline.pexpireat(key, record.idleExpiresAt)
        pipeline.zadd(store.subjectKey(subject), score, record.id)
      }
      await pipeline.exec()
    }
    expect(await admin.zcard(store.subjectKey(subject))).toBe(FAMILIES)

    const pages: number[] = []
    const watched: FamilyStore = {
      create: (r) => store.create(r),
      get: (id) => store.get(id),
      compareAndSet: (id, v, next) => store.compareAndSet(id, v, next),
      async listBySubject(s, page) {
        const started = performance.now()
        const answer = await store.listBySubject(s, page)
        pages.push(performance.now() - started)
        return answer
      },
    }
    const engine = createEngine({
      store: watched,
      issuer: 'https://auth.example.test',
      audience: 'api',
      secret: TEST_SECRET,
      policy: { maxFamiliesPerSubject: Number.POSITIVE_INFINITY },
    })
    expect(await engine.revokeAll(subject)).toEqual({ revoked: FAMILIES })
    // Every page finished inside the driver's deadline (it would have thrown otherwise).
    expect(pages.length).toBeGreaterThanOrEqual(FAMILIES / 200)
    expect(Math.max(...pages)).toBeLessThan(2000)
    expect(await admin.zcard(store.subjectKey(subject))).toBe(0)
    expect(await engine.list(subject)).toEqual([])
  }, 120_000)
})
