import { AuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'
import { type Duration, parseDuration } from '../policy/policy.js'
import { type Clock, systemClock } from '../runtime.js'
import type { RevocationFeed, RevocationFeedState, RevocationStatus, RevokedFamilies } from './types.js'

/** The default staleness bound: how long a node that cannot hear the feed keeps trusting its set. */
export const DEFAULT_REVOCATION_STALENESS = '5s'

/** How often expired entries are swept from the set (they are also dropped lazily on lookup). */
const PRUNE_EVERY_MS = 30_000
/** Retries of a failed publish back off from here, doubling, up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 5_000
/** A failed subscribe (the feed could not even start) is retried after this long. */
const RESUBSCRIBE_MS = 1_000

/** Options of {@link createRevokedFamilies}. */
export interface RevokedFamiliesOptions {
  /** The broadcast between nodes (`createRedisRevocationFeed`, `createPostgresRevocationFeed`, or your own). */
  readonly feed: RevocationFeed
  /**
   * How long the node keeps trusting its set after it last heard the feed (a message, or a
   * heartbeat on the subscriber connection). Past it, `verifyAccess` fails closed with
   * `AuthError('ERR_STORAGE_UNAVAILABLE')` (HTTP 503 with `Retry-After`). It is also the longest
   * a revoked family's access tokens can still pass on a node cut off from the feed. Must exceed
   * the feed's heartbeat interval (default 1 s) by a margin. Default `'5s'`.
   */
  readonly staleness?: Duration
  /** The source of time (default `Date.now`); the engine passes its own `now` to `check`. */
  readonly clock?: Clock
  /** Called when the feed fails (a publish, a resync); default `console.error`. Never throws into the request. */
  readonly onError?: (error: unknown, what: 'publish' | 'resync' | 'subscribe') => void
}

/**
 * Builds the in-process set of revoked families and subscribes it to `feed` at once.
 *
 * The set maps family id -> `until` (the instant after which none of the family's access tokens
 * can still be valid: the revocation time plus `accessTtl` plus `leeway`), so it only ever holds
 * the revocations of the last access-token lifetime. Entries are dropped lazily on lookup and by
 * an unref'd sweep every 30 s.
 *
 * Until the first synchronisation from the feed's log, and whenever the feed has been unheard
 * for longer than `staleness`, `check` answers `stale` and the engine fails closed. After every
 * (re)connection the set is resynchronised from the log, so revocations broadcast while this
 * node was deaf are caught up before it trusts the set again.
 *
 * @example
 * ```ts ignore
 * const feed = createRedisRevocationFeed({ url: process.env.REDIS_URL! })
 * const revocations = createRevokedFamilies({ feed, staleness: '5s' })
 * const engine = createEngine({ store, issuer, audience, keys, revocations })
 * await revocations.ready() // before the server starts listening
 * ```
 */
export function createRevokedFamilies(options: RevokedFamiliesOptions): RevokedFamilies {
  const bad = (message: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', `createRevokedFamilies: ${message}`)
  }
  if (options === null || typeof options !== 'object') bad('options must be an object')
  assertKnownOptions('createRevokedFamilies', options, ['feed', 'staleness', 'clock', 'onError'])
  const { feed, clock = systemClock } = options
  for (const method of ['publish', 'subscribe', 'listRevoked'] as const) {
    if (typeof feed?.[method] !== 'function') bad(`feed must implement RevocationFeed (missing ${method}())`)
  }
  if (typeof clock?.now !== 'function') bad('clock must have a now() method')
  const staleness = parseDuration(options.staleness ?? DEFAULT_REVOCATION_STALENESS, 'staleness')
  if (!(staleness > 0)) bad('staleness must be positive')
  const onError =
    options.onError ??
    ((error: unknown, what: string) => console.error(`[@auth/core] revocation feed: ${what} failed`, error))

  const revoked = new Map<string, number>()
  let connected = false
  let synced = false
  let heardAt: number | null = null
  let closed = false
  let syncing: Promise<void> | null = null
  let unsubscribe: (() => Promise<void>) | null = null
  let markReady: () => void = () => {}
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve
  })
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const later = (ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (!closed) run()
    }, ms)
    timer.unref?.()
    timers.add(timer)
  }

  const remember = (familyId: string, until: number): void => {
    if (typeof familyId !== 'string' || familyId.length === 0 || !Number.isFinite(until)) return
    const known = revoked.get(familyId)
    if (known === undefined || known < until) revoked.set(familyId, until)
  }

  const resync = (): Promise<void> => {
    if (syncing) return syncing
    syncing = (async () => {
      try {
        const entries = await feed.listRevoked(clock.now())
        for (const entry of entries) remember(entry.familyId, entry.until)
        // Only a connection that is still up when the log has been read makes the set current.
        if (connected && !closed) {
          synced = true
          heardAt = clock.now()
          markReady()
        }
      } catch (error) {
        onError(error, 'resync')
      } finally {
        syncing = null
      }
    })()
    return syncing
  }

  const onRevoked = (familyId: string, until: number): void => {
    remember(familyId, until)
    if (connected && synced) heardAt = clock.now()
  }

  const onState = (state: RevocationFeedState): void => {
    if (closed) return
    if (state === 'disconnected') {
      connected = false
      synced = false
      return
    }
    connected = true
    if (synced) heardAt = clock.now()
    else void resync()
  }

  const subscribe = (): void => {
    feed.subscribe(onRevoked, onState).then(
      (stop) => {
        if (closed) void stop().catch(() => {})
        else unsubscribe = stop
      },
      (error: unknown) => {
        onError(error, 'subscribe')
        later(RESUBSCRIBE_MS, subscribe)
      },
    )
  }
  subscribe()

  const prune = (): void => {
    const now = clock.now()
    for (const [id, until] of revoked) if (until <= now) revoked.delete(id)
    later(PRUNE_EVERY_MS, prune)
  }
  later(PRUNE_EVERY_MS, prune)

  const publish = async (familyId: string, until: number, backoff: number): Promise<void> => {
    try {
      await feed.publish(familyId, until)
    } catch (error) {
      onError(error, 'publish')
      if (clock.now() < until)
        later(backoff, () => void publish(familyId, until, Math.min(backoff * 2, MAX_BACKOFF_MS)))
    }
  }

  return {
    check(familyId: string, now: number): RevocationStatus {
      if (heardAt === null || now - heardAt > staleness) return 'stale'
      const until = revoked.get(familyId)
      if (until === undefined) return 'live'
      if (until > now) return 'revoked'
      revoked.delete(familyId)
      return 'live'
    },
    add(familyId: string, until: number): Promise<void> {
      remember(familyId, until)
      return publish(familyId, until, FIRST_BACKOFF_MS)
    },
    ready: () => readyPromise,
    status: () => ({ connected, synced, heardAt, size: revoked.size }),
    async close() {
      closed = true
      connected = false
      synced = false
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      const stop = unsubscribe
      unsubscribe = null
      if (stop) await stop()
    },
  }
}
