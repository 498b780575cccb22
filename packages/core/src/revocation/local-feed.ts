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

/**
 * A revocation feed inside one process: a log (Map) and a set of subscribers. Useful when several
 * engines share a process, and to exercise `createRevokedFamilies` without a server. Across
 * processes use the Redis or PostgreSQL feed.
 */
export function createLocalRevocationFeed(): LocalRevocationFeed {
  const log = new Map<string, number>()
  type Subscriber = {
    onRevoked: (familyId: string, until: number) => void
    onState: (state: RevocationFeedState) => void
  }
  const subscribers = new Set<Subscriber>()
  let connected = true
  return {
    async publish(familyId, until) {
      log.set(familyId, Math.max(until, log.get(familyId) ?? 0))
      if (!connected) return
      for (const s of subscribers) s.onRevoked(familyId, until)
    },
    async subscribe(onRevoked, onState) {
      const subscriber = { onRevoked, onState }
      subscribers.add(subscriber)
      queueMicrotask(() => {
        if (subscribers.has(subscriber)) onState(connected ? 'connected' : 'disconnected')
      })
      return async () => {
        subscribers.delete(subscriber)
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
}
