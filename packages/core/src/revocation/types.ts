/**
 * One revoked family as the feed carries it: `until` (epoch ms) is the moment after which no
 * access token of the family can still be valid, so the entry may be forgotten then.
 */
export interface RevokedEntry {
  readonly familyId: string
  readonly until: number
}

/** What a feed tells its subscriber about its connection. */
export type RevocationFeedState = 'connected' | 'disconnected'

/**
 * A broadcast of revoked families between the nodes of one deployment, with a durable log of
 * the recent ones (`@auth/storage-redis`: pub/sub plus a sorted set; `@auth/storage-sql`:
 * PostgreSQL LISTEN/NOTIFY plus a table). Write your own for another bus: the contract is small.
 *
 * - `publish` records the entry in the durable log and broadcasts it, atomically where the
 *   backend allows. It rejects on an outage.
 * - `subscribe` opens a dedicated connection and calls `onRevoked` for every broadcast entry
 *   (its own included). It calls `onState('connected')` once subscribed AND after every
 *   successful heartbeat (a round trip on the subscriber connection itself, so a silent but dead
 *   connection is told apart from a quiet feed), and `onState('disconnected')` whenever the
 *   connection is lost or a heartbeat fails; it reconnects by itself. It resolves to a function
 *   that unsubscribes and closes that connection.
 * - `listRevoked(now)` reads every logged entry whose `until` is after `now` (the resync after a
 *   (re)connection) and rejects on an outage.
 */
export interface RevocationFeed {
  publish(familyId: string, until: number): Promise<void>
  subscribe(
    onRevoked: (familyId: string, until: number) => void,
    onState: (state: RevocationFeedState) => void,
  ): Promise<() => Promise<void>>
  listRevoked(now: number): Promise<RevokedEntry[]>
}

/** The answer of {@link RevokedFamilies.check}. `stale`: the node has not heard the feed within the staleness bound. */
export type RevocationStatus = 'live' | 'revoked' | 'stale'

/**
 * The in-process set of recently revoked families that `verifyAccess` consults (a Map lookup, no
 * store round trip), kept current by a {@link RevocationFeed}. Build it with
 * `createRevokedFamilies` and pass it to `createEngine({ revocations })`.
 */
export interface RevokedFamilies {
  /** Is `familyId` revoked at `now`? `stale` when the feed has been unheard for longer than the staleness bound (fail closed). */
  check(familyId: string, now: number): RevocationStatus
  /**
   * Records a revocation made on this node: added to the local set at once, then published;
   * a failed publish is retried in the background (with backoff) until it succeeds or `until`
   * passes. Resolves after the first attempt; never rejects.
   */
  add(familyId: string, until: number): Promise<void>
  /** Resolves once the set has been synchronised from the feed's log for the first time. */
  ready(): Promise<void>
  /** For health checks and metrics. `heardAt`: when the feed was last known to be live (epoch ms). */
  status(): {
    readonly connected: boolean
    readonly synced: boolean
    readonly heardAt: number | null
    readonly size: number
  }
  /** Unsubscribes (closing the feed's subscriber connection) and stops the timers. */
  close(): Promise<void>
}
