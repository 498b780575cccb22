import { FAMILY_RECORD_FIELDS, type FamilyRecord } from '@auth/core'
import type { ConformanceHarness, CorruptionKind, StoreInspector } from '@auth/storage-conformance'
import { type Cluster, Redis } from 'ioredis'
import { createRedisStore, type RedisStore } from '../src/index.js'

/** A prefix no other test run uses. */
export function randomPrefix(): string {
  return `authtest-${crypto.randomUUID().slice(0, 8)}`
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== '0')
}

/**
 * A driver-owned store under a fresh random prefix, plus the side channel: a second client that
 * reads and spoils the hashes directly, decoding them without the driver's code.
 */
export function redisHarness(url: string): ConformanceHarness & { store: RedisStore; admin: Redis } {
  const prefix = randomPrefix()
  const store = createRedisStore({ url, prefix })
  const admin = new Redis(url, { maxRetriesPerRequest: 1 })
  return {
    store,
    admin,
    inspect: redisInspector(store, admin),
    async cleanup() {
      await store.close()
      await deletePrefix(admin, prefix)
      await admin.quit()
    },
  }
}

/**
 * The side channel of the conformance harness: reads and spoils a family's hash through `client`
 * (a plain connection or a Cluster), decoding it without the driver's code.
 */
export function redisInspector(store: RedisStore, client: Redis | Cluster): StoreInspector {
  return {
    indexed: (subject) => client.zcard(store.subjectKey(subject)),
    async raw(id) {
      const key = store.familyKey(id)
      const type = await client.type(key)
      if (type === 'none') return null
      if (type !== 'hash') return 'corrupt'
      const hash = await client.hgetall(key)
      try {
        const record = JSON.parse(hash.r ?? '') as FamilyRecord
        const wellTyped =
          typeof record.generation === 'number' &&
          typeof record.nonce === 'string' &&
          typeof record.subject === 'string' &&
          typeof record.meta === 'object'
        if (!wellTyped || hash.v !== String(record.version) || hash.s !== record.subject) return 'corrupt'
        if (Object.keys(record).some((name) => !(FAMILY_RECORD_FIELDS as readonly string[]).includes(name)))
          return 'corrupt'
        return record
      } catch {
        return 'corrupt'
      }
    },
    async corrupt(id, kind: CorruptionKind) {
      const key = store.familyKey(id)
      const record = JSON.parse((await client.hget(key, 'r')) ?? 'null') as Record<string, unknown>
      switch (kind) {
        case 'garbage':
          await client.set(key, '\u0000not a family{', 'PX', 3_600_000)
          return
        case 'missing_field': {
          const { nonce: _dropped, ...rest } = record
          await client.hset(key, 'r', JSON.stringify(rest))
          return
        }
        case 'wrong_type':
          await client.hset(key, 'r', JSON.stringify({ ...record, generation: String(record.generation) }))
          return
        case 'unknown_field':
          // What a newer version would write: a binding this one does not know.
          await client.hset(key, 'r', JSON.stringify({ ...record, futureBinding: 'key-7' }))
          return
        default: {
          const never: never = kind
          throw new Error(`unknown corruption ${String(never)}`)
        }
      }
    },
  }
}
