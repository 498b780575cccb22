import type { RevocationFeed, RevocationFeedState, RevokedEntry } from '@auth/core'
import { AuthError, assertKnownOptions, withStorageDeadline } from '@auth/core'
import { type Cluster, Redis } from 'ioredis'

/** Options of {@link createRedisRevocationFeed}. */
export type RedisRevocationFeedOptions = (
  | {
      /**
       * Your client (standalone or Cluster) for publishing and for the resync read; the feed
       * never closes it. The subscriber is a separate connection (see `subscriber`).
       */
      readonly client: Redis | Cluster
      readonly url?: never
    }
  | {
      /** `redis://…` or `rediss://…`: the feed opens (and `close()` quits) its own publishing client. */
      readonly url: string
      readonly client?: never
    }
) & {
  /**
   * Opens the dedicated subscriber connection. Default: a new `Redis` on `url`, or
   * `client.duplicate()` for a standalone client, named `<prefix>:revocation-subscriber`. Pass one for Cluster (a `Redis` to any node:
   * plain PUBLISH reaches every node of a Cluster) or to tune reconnection.
   */
  readonly subscriber?: () => Redis
  /** Prefix of the log key and the channel, without braces. Default `'auth'`: key and channel `auth:revoked`. */
  readonly prefix?: string
  /** Milliseconds between heartbeats (a PING on the subscriber connection). Default 1000; keep it well under the staleness bound. */
  readonly heartbeatInterval?: number
  /** Milliseconds any one call may take before it fails with `AuthError('ERR_STORAGE_UNAVAILABLE')`. Default 2000. */
  readonly commandTimeout?: number
}

/** The Redis revocation feed. */
export interface RedisRevocationFeed extends RevocationFeed {
  /** The sorted set that logs recent revocations (member: family id, score: `until`). */
  readonly logKey: string
  /** The pub/sub channel. */
  readonly channel: string
  /** Quits the publishing client if the feed opened it from `url`. Subscriptions are closed by their own unsubscribe. */
  close(): Promise<void>
}

/**
 * Records one revocation and broadcasts it, atomically: keep the later `until` for the family,
 * drop log entries whose `until` has passed, PUBLISH. KEYS[1] log; ARGV: familyId, until, now,
 * channel, payload.
 */
const PUBLISH = `
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not current) or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
return redis.call('PUBLISH', ARGV[4], ARGV[5])
`

const DEFAULT_TIMEOUT = 2000
const DEFAULT_HEARTBEAT = 1000

/**
 * A {@link RevocationFeed} on Redis: pub/sub for speed, a sorted set for the resync.
 *
 * - `publish` runs one Lua script: the family goes into the sorted set `<prefix>:revoked`
 *   (score = `until`, the later one kept), entries whose `until` has passed are trimmed, and
 *   `[familyId, until]` is PUBLISHed on the channel `<prefix>:revoked`. The log never holds more
 *   than the revocations of one access-token lifetime.
 * - `subscribe` opens a dedicated connection (named `<prefix>:revocation-subscriber`, so
 *   operators can find it in CLIENT LIST), SUBSCRIBEs, and PINGs on that connection every
 *   `heartbeatInterval`: a PONG means the subscription is live (Redis answers in order, so the
 *   PONG after SUBSCRIBE proves the subscription), a failure or timeout reports `disconnected`.
 *   ioredis reconnects and resubscribes by itself; the next PONG reports `connected`, and the
 *   core resynchronises from the log.
 * - `listRevoked(now)` is ZRANGEBYSCORE on the log.
 *
 * Redis Cluster: the log is one key (one slot) and the channel is a plain (not sharded) channel,
 * which Cluster broadcasts to every node; revocations are rare, so the broadcast is cheap.
 *
 * @example
 * ```ts ignore
 * const feed = createRedisRevocationFeed({ url: process.env.REDIS_URL! })
 * const revocations = createRevokedFamilies({ feed })
 * ```
 */
export function createRedisRevocationFeed(options: RedisRevocationFeedOptions): RedisRevocationFeed {
  const bad = (message: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', `createRedisRevocationFeed: ${message}`)
  }
  assertKnownOptions('createRedisRevocationFeed', options, [
    'client',
    'url',
    'subscriber',
    'prefix',
    'channel',
    'logKey',
    'heartbeatInterval',
    'commandTimeout',
  ])
  const prefix = options.prefix ?? 'auth'
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix))
    bad('prefix must be a non-empty string without braces')
  const timeout = options.commandTimeout ?? DEFAULT_TIMEOUT
  if (!Number.isSafeInteger(timeout) || timeout < 1) bad('commandTimeout must be a positive integer (ms)')
  const heartbeat = options.heartbeatInterval ?? DEFAULT_HEARTBEAT
  if (!Number.isSafeInteger(heartbeat) || heartbeat < 10)
    bad('heartbeatInterval must be an integer of at least 10 (ms)')
  const url = options.url
  const connectionName = `${prefix}:revocation-subscriber`
  let client: Redis | Cluster
  if (options.client !== undefined) client = options.client
  else {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) bad('give a client, or a redis:// or rediss:// url')
    client = new Redis(url as string, { commandTimeout: timeout, connectTimeout: timeout, maxRetriesPerRequest: 1 })
    // Errors surface through publish and listRevoked; without a listener ioredis prints
    // "[ioredis] Unhandled error event" for every failed reconnect while Redis is down.
    client.on('error', () => {})
  }
  const owned = options.client === undefined
  const openSubscriber =
    options.subscriber ??
    (() => {
      if (url !== undefined) return new Redis(url, { connectTimeout: timeout, connectionName, lazyConnect: true })
      if (client instanceof Redis) return client.duplicate({ connectionName, lazyConnect: true })
      return bad('with a Cluster client, pass `subscriber`: a function that opens a Redis connection to one node')
    })
  if (typeof openSubscriber !== 'function') bad('subscriber must be a function that returns a Redis connection')

  const logKey = `${prefix}:revoked`
  const channel = `${prefix}:revoked`

  const bounded = <T>(operation: string, call: () => Promise<T>): Promise<T> =>
    withStorageDeadline(`Redis revocation ${operation}`, timeout, call)

  return {
    logKey,
    channel,

    async publish(familyId, until) {
      const now = Date.now()
      await bounded('publish', () =>
        client.eval(
          PUBLISH,
          1,
          logKey,
          familyId,
          String(until),
          String(now),
          channel,
          JSON.stringify([familyId, until]),
        ),
      )
    },

    async listRevoked(now): Promise<RevokedEntry[]> {
      const flat = await bounded('resync', () => client.zrangebyscore(logKey, `(${now}`, '+inf', 'WITHSCORES'))
      const entries: RevokedEntry[] = []
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const until = Number(flat[i + 1])
        const familyId = flat[i] as string
        if (Number.isFinite(until)) entries.push({ familyId, until })
      }
      return entries
    },

    async subscribe(onRevoked, onState) {
      const subscriber = openSubscriber()
      let state: RevocationFeedState | null = null
      let stopped = false
      const report = (next: RevocationFeedState): void => {
        if (stopped) return
        state = next
        onState(next)
      }
      subscriber.on('message', (from: string, message: string) => {
        if (from !== channel) return
        try {
          const parsed: unknown = JSON.parse(message)
          if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'number') return
          onRevoked(parsed[0], parsed[1])
        } catch {
          // Not ours: ignore it (the channel name is prefixed; someone else published garbage).
        }
      })
      // Errors are reported through the state; ioredis would otherwise print them as unhandled.
      subscriber.on('error', () => {})
      subscriber.on('close', () => report('disconnected'))
      subscriber.on('end', () => report('disconnected'))

      let beating = false
      const beat = async (): Promise<void> => {
        if (beating || stopped) return
        beating = true
        try {
          if (subscriber.status !== 'ready') {
            if (state !== 'disconnected') report('disconnected')
            return
          }
          await bounded('heartbeat', () => subscriber.ping())
          report('connected')
        } catch {
          report('disconnected')
        } finally {
          beating = false
        }
      }
      subscriber.on('ready', () => void beat())
      const timer = setInterval(() => void beat(), heartbeat)
      timer.unref?.()

      try {
        if (subscriber.status === 'wait') await subscriber.connect()
        await bounded('subscribe', () => subscriber.subscribe(channel))
      } catch (cause) {
        stopped = true
        clearInterval(timer)
        subscriber.disconnect()
        throw cause instanceof AuthError
          ? cause
          : new AuthError('ERR_STORAGE_UNAVAILABLE', `Redis revocation subscribe failed: ${(cause as Error).message}`, {
              cause,
            })
      }
      void beat()

      return async () => {
        stopped = true
        clearInterval(timer)
        try {
          await subscriber.quit()
        } catch {
          subscriber.disconnect()
        }
      }
    },

    async close() {
      if (!owned) return
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    },
  }
}
