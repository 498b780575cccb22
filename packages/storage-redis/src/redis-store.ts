import type { CompareAndSetResult, CreateResult, FamilyRecord, FamilyStore, PageRequest, SubjectPage } from '@auth/core'
import { AuthError, assertKnownOptions, isAuthError, withStorageDeadline } from '@auth/core'
import { type Cluster, Redis } from 'ioredis'
import { decodeRecord, encodeRecord } from './codec.js'
import { COMPARE_AND_SET, CREATE, INDEX_ADD, INDEX_PAGE, type Script } from './scripts.js'

/** Options of {@link createRedisStore}: pass your own client, or a URL for the driver to own one. */
export type RedisStoreOptions = (
  | {
      /**
       * An ioredis client or Cluster you created and own: the driver never closes it. Give it
       * `enableOfflineQueue: false` (or a small `maxRetriesPerRequest`) so that an outage fails
       * fast; the driver's own `commandTimeout` bounds every call either way.
       */
      readonly client: Redis | Cluster
      readonly url?: never
    }
  | {
      /** `redis://…` or `rediss://…`: the driver opens (and `close()` quits) its own client. */
      readonly url: string
      readonly client?: never
    }
) & {
  /** Key prefix, without braces. Default `'auth'`: keys are `auth:fam:{<familyId>}` and `auth:sub:{<subject>}`. */
  readonly prefix?: string
  /**
   * Milliseconds any one call may take before it fails with `AuthError('ERR_STORAGE_UNAVAILABLE')`.
   * Default 2000. The request then fails closed instead of hanging.
   */
  readonly commandTimeout?: number
}

/** The Redis driver: a {@link FamilyStore} with native expiry (no `purgeExpired`). */
export interface RedisStore extends FamilyStore {
  /** The key under which family `id` is stored (for operators and tests). */
  familyKey(id: string): string
  /** The key of the per-subject index (a sorted set of family ids). */
  subjectKey(subject: string): string
  /** The start-up check: Redis answers a PING within the command timeout (else `ERR_STORAGE_UNAVAILABLE`). */
  check(): Promise<void>
  /** Redis's clock (`TIME`), epoch milliseconds: an engine on the system clock decides in it. */
  now(): Promise<number>
  /** Quits the client if the driver opened it from `url`; does nothing to a client you passed in. */
  close(): Promise<void>
}

const DEFAULT_TIMEOUT = 2000

/**
 * Creates a {@link FamilyStore} on Redis (standalone, Sentinel or Cluster) through ioredis.
 *
 * - Each family is one hash, `<prefix>:fam:{<id>}`, expiring natively at its `idleExpiresAt`
 *   (`PEXPIREAT`). The braces are a hash tag: a family never spans Cluster slots.
 * - `create` and `compareAndSet` are each one Lua script on that one key, so they are atomic.
 * - `<prefix>:sub:{<subject>}` is a sorted set of the subject's family ids, scored by the latest
 *   time the family could still live. It is written before the family and only ever over-includes:
 *   `listBySubject` reads one page of it (`ZSCAN`), then fetches each family from its own key (its
 *   own slot) and keeps only active ones that exist and belong to the subject, removing the other
 *   ids from the index. A compare-and-set that revokes a family removes it from the index (`ZREM`)
 *   before answering. The family key is the truth.
 * - Every call is bounded by `commandTimeout`; an outage throws `AuthError('ERR_STORAGE_UNAVAILABLE')`
 *   and data the driver did not write throws `AuthError('ERR_STORAGE_CORRUPT')`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * const store = createRedisStore({ client: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }) })
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  assertKnownOptions('createRedisStore', options, ['client', 'url', 'prefix', 'commandTimeout'], {
    timeoutMs: 'commandTimeout',
    redis: 'client',
  })
  const prefix = options.prefix ?? 'auth'
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
    throw new AuthError('ERR_CONFIG_INVALID', 'createRedisStore: prefix must be a non-empty string without braces')
  }
  const timeout = options.commandTimeout ?? DEFAULT_TIMEOUT
  if (!Number.isSafeInteger(timeout) || timeout < 1) {
    throw new AuthError('ERR_CONFIG_INVALID', 'createRedisStore: commandTimeout must be a positive integer (ms)')
  }
  const owned = options.client === undefined
  let client: Redis | Cluster
  if (options.client !== undefined) {
    client = options.client
  } else {
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
      throw new AuthError('ERR_CONFIG_INVALID', 'createRedisStore: give a client, or a redis:// or rediss:// url')
    }
    client = new Redis(options.url, {
      commandTimeout: timeout,
      connectTimeout: timeout,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      lazyConnect: true,
    })
    // Errors surface through the commands; without a listener ioredis would print each one.
    client.on('error', () => {})
    client.connect().catch(() => {})
  }
  const redis = client

  const familyKey = (id: string) => `${prefix}:fam:{${id}}`
  const subjectKey = (subject: string) => `${prefix}:sub:{${subject}}`

  /**
   * Runs one call against Redis within the timeout. An owned client that has not connected yet
   * is waited for (within the same timeout); after that, an outage fails at once.
   */
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    withStorageDeadline(
      `Redis ${operation}`,
      timeout,
      () => firstReady().then(run),
      (error) => toAuthError(operation, error),
    )

  // An owned client has no offline queue: calls made before its first connection attempt has
  // settled wait for it (within their timeout); after that, an outage fails at once.
  const firstReady: () => Promise<void> = owned ? once(firstAttempt(redis)) : () => Promise.resolve()

  const evalScript = async (s: Script, key: string, args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(s.sha, 1, key, ...args)
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(s.lua, 1, key, ...args)
      throw error
    }
  }

  const indexAdd = (subject: string, id: string, score: number) =>
    evalScript(INDEX_ADD, subjectKey(subject), [score, id])

  const read = async (id: string): Promise<FamilyRecord | null> => {
    const [version, subject, indexed, json] = (await redis.hmget(familyKey(id), 'v', 's', 'x', 'r')) as (
      | string
      | null
    )[]
    return decodeRecord(id, {
      version: version ?? null,
      subject: subject ?? null,
      indexed: indexed ?? null,
      json: json ?? null,
    })
  }

  return {
    familyKey,
    subjectKey,

    create(record: FamilyRecord): Promise<CreateResult> {
      return call('create', async () => {
        const json = encodeRecord(record, 'create')
        const score = indexScore(record)
        // Index first: a crash between the two writes leaves a harmless dangling id, never a live
        // family that listBySubject (and so logout-all) cannot see.
        const families = Number(await indexAdd(record.subject, record.id, score))
        const created = await evalScript(CREATE, familyKey(record.id), [
          String(record.version),
          record.subject,
          score,
          json,
          record.idleExpiresAt,
        ])
        return created === 1 ? { ok: true, families } : { ok: false, reason: 'exists' }
      })
    },

    get(id: string): Promise<FamilyRecord | null> {
      return call('get', () => read(id))
    },

    compareAndSet(id: string, expectedVersion: number, next: FamilyRecord): Promise<CompareAndSetResult> {
      return call('compareAndSet', async () => {
        if (next.id !== id) {
          throw new AuthError('ERR_CONFIG_INVALID', 'compareAndSet: the id of a family never changes')
        }
        const json = encodeRecord(next, 'compareAndSet')
        const score = indexScore(next)
        const attempt = (indexed: boolean) =>
          evalScript(COMPARE_AND_SET, familyKey(id), [
            String(expectedVersion),
            String(next.version),
            next.subject,
            score,
            indexed ? '1' : '0',
            json,
            next.idleExpiresAt,
          ])
        let outcome = await attempt(false)
        if (outcome === 2) {
          // The family would outlive its index entry: raise the entry first, then write.
          await indexAdd(next.subject, id, score)
          outcome = await attempt(true)
        }
        switch (outcome) {
          case 1:
            // A revoked family leaves the subject index (another slot, so a second call). A crash
            // in between leaves an entry that the next listing finds revoked and removes.
            if (next.status === 'revoked') await redis.zrem(subjectKey(next.subject), id)
            return { ok: true }
          case 0:
            return { ok: false, reason: 'not_found' }
          case -1:
            return { ok: false, reason: 'conflict' }
          case -2:
            throw new AuthError('ERR_STORAGE_CORRUPT', `family ${JSON.stringify(id)} is stored corrupt in Redis`)
          case -3:
            throw new AuthError('ERR_CONFIG_INVALID', 'compareAndSet: the subject of a family never changes')
          default:
            throw new AuthError('ERR_STORAGE_UNAVAILABLE', `compareAndSet: unexpected reply ${String(outcome)}`)
        }
      })
    },

    listBySubject(subject: string, page: PageRequest): Promise<SubjectPage> {
      const limit = page?.limit
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new AuthError('ERR_CONFIG_INVALID', 'listBySubject: limit must be a positive integer')
      }
      return call('listBySubject', async () => {
        const [next, ...ids] = (await evalScript(INDEX_PAGE, subjectKey(subject), [
          page.cursor ?? '0',
          limit,
        ])) as string[]
        const found = await Promise.all(ids.map(read))
        const records: FamilyRecord[] = []
        const stale: string[] = []
        // The index is a hint: an id whose family expired, that a failed create left behind, or
        // whose revocation a crash kept in the index is dropped from it here.
        for (const [i, record] of found.entries()) {
          if (record !== null && record.subject === subject && record.status === 'active') records.push(record)
          else stale.push(ids[i] as string)
        }
        if (stale.length > 0) await redis.zrem(subjectKey(subject), ...stale)
        return { records, cursor: next === '0' || next === undefined ? null : next }
      })
    },

    check(): Promise<void> {
      return call('check', async () => {
        await redis.ping()
      })
    },

    now(): Promise<number> {
      return call('now', async () => {
        // TIME is the clock the scripts and PEXPIREAT use. On Cluster, any master's (they are NTP-synced).
        const [seconds, micros] = await redis.time()
        return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
      })
    },

    async close(): Promise<void> {
      if (!owned) return
      if (redis.status === 'end') return
      try {
        await call('close', () => redis.quit())
      } catch {
        // Quitting a dead connection cannot succeed; drop it instead.
        redis.disconnect()
      }
    },
  }
}

/** Resolves when the first connection attempt of `client` has succeeded or failed. */
function firstAttempt(client: Redis | Cluster): () => Promise<void> {
  const settled = ['ready', 'close', 'end', 'reconnecting']
  return () =>
    new Promise<void>((resolve) => {
      if (settled.includes(client.status)) return resolve()
      const events = ['ready', 'close', 'end'] as const
      const done = () => {
        for (const e of events) client.off(e, done)
        resolve()
      }
      for (const e of events) client.on(e, done)
    })
}

/** Calls `make` once and hands every caller the same promise. */
function once(make: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined
  return () => {
    promise ??= make()
    return promise
  }
}

/** How long the subject index must remember a family: at least as long as the family can live. */
function indexScore(record: FamilyRecord): number {
  return Math.max(record.expiresAt, record.idleExpiresAt)
}

/** Maps whatever a call threw onto the storage contract's two outage codes. */
function toAuthError(operation: string, error: unknown): AuthError {
  if (isAuthError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  if (message.includes('WRONGTYPE')) {
    return new AuthError('ERR_STORAGE_CORRUPT', `Redis ${operation}: a key holds the wrong type`, { cause: error })
  }
  return new AuthError('ERR_STORAGE_UNAVAILABLE', `Redis ${operation} failed: ${message}`, { cause: error })
}
