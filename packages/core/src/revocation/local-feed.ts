import { AuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'
import type { RevocationFeed, RevocationFeedState, RevokedEntry } from './types.js'

/** An in-process {@link RevocationFeed}: every engine of one process that shares it hears every revocation. */
export interface LocalRevocationFeed extends RevocationFeed {
  /**
   * Cuts (`false`) or restores (`true`) every subscriber's connection: a cut subscriber hears
   * nothing and is told `disconnected`; on restore it is told `connected` (and resynchronises).
   * Publishes still reach the log meanwhile, as they would reach a durable log on a real backend.
   */
  setConnected(connected: boolean): void
  /** Tells every connected subscriber `connected` again: one heartbeat. */
  heartbeat(): void
}

/** Options of {@link createLocalRevocationFeed}. */
export interface LocalRevocationFeedOptions {
  /**
   * How often (ms) subscribers are told `connected` while any exist, so the staleness bound of
   * `createRevokedFamilies` never trips in a process that is, by construction, always in touch
   * with itself. Default 1000. `false`: only explicit `heartbeat()` calls (tests on a manual clock).
   */
  readonly heartbeatInterval?: number | false
}

/**
 * A revocation feed inside one process: a log (Map) and a set of subscribers. Useful when several
 * engines share a process, and to exercise `createRevokedFamilies` without a server. Across
 * processes use the Redis or PostgreSQL feed. It heartbeats by itself (see
 * {@link LocalRevocationFeedOptions.heartbeatInterval}) on an unref'd timer that runs only while
 * someone is subscribed.
 */
export function createLocalRevocationFeed(options: LocalRevocationFeedOptions = {}): LocalRevocationFeed {
  assertKnownOptions('createLocalRevocationFeed', options, ['heartbeatInterval'])
  const interval = options.heartbeatInterval ?? 1000
  if (interval !== false && !(Number.isFinite(interval) && interval > 0)) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      'createLocalRevocationFeed: heartbeatInterval must be a positive number or false',
    )
  }
  let timer: ReturnType<typeof setInterval> | undefined
  const log = new Map<string, number>()
  type Subscriber = {
    onRevoked: (familyId: string, until: number) => void
    onState: (state: RevocationFeedState) => void
  }
  const subscribers = new Set<Subscriber>()
  let connected = true
  const feed: LocalRevocationFeed = {
    async publish(familyId, until) {
      log.set(familyId, Math.max(until, log.get(familyId) ?? 0))
      if (!connected) return
      for (const s of subscribers) s.onRevoked(familyId, until)
    },
    async subscribe(onRevoked, onState) {
      const subscriber = { onRevoked, onState }
      subscribers.add(subscriber)
      if (interval !== false && timer === undefined) {
        timer = setInterval(() => feed.heartbeat(), interval)
        ;(timer as { unref?: () => void }).unref?.()
      }
      queueMicrotask(() => {
        if (subscribers.has(subscriber)) onState(connected ? 'connected' : 'disconnected')
      })
      return async () => {
        subscribers.delete(subscriber)
        if (subscribers.size === 0 && timer !== undefined) {
          clearInterval(timer)
          timer = undefined
        }
      }
    },
    async listRevoked(now): Promise<RevokedEntry[]> {
      const entries: RevokedEntry[] = []
      for (const [familyId, until] of log) {
        if (until > now) entries.push({ familyId, until })
        else log.delete(familyId)
      }
      return entries
    },
    setConnected(next) {
      connected = next
      for (const s of subscribers) s.onState(next ? 'connected' : 'disconnected')
    },
    heartbeat() {
      if (!connected) return
      for (const s of subscribers) s.onState('connected')
    },
  }
  return feed
}
