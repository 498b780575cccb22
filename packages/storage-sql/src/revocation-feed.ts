import type { RevocationFeed, RevocationFeedState, RevokedEntry } from '@auth/core'
import { AuthError, assertKnownOptions, withStorageDeadline } from '@auth/core'
import type { Client, ClientConfig, Pool } from 'pg'

/**
 * What the feed needs of a `pg.Pool` (a `pg.Pool` fits as it is). Declared here, so that this
 * package's types never import `pg`: an app on SQLite or MySQL type-checks without it installed.
 */
export interface PgPoolLike {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ readonly rows: R[] }>
}

/** Options of {@link createPostgresRevocationFeed}. */
export interface PostgresRevocationFeedOptions {
  /** Where the dedicated LISTEN connection goes (and, without `pool`, the feed's own small pool). */
  readonly connectionString: string
  /** Your pg Pool for publishing and for the resync read; the feed never ends it. Default: a pool of 2 the feed owns. */
  readonly pool?: PgPoolLike
  /** The log table. Default `'auth_revocations'`; create it with `feed.migrate()`. */
  readonly table?: string
  /** The schema of the log table. Default: the connection's search path. */
  readonly schema?: string
  /** The NOTIFY channel. Default `'auth_revoked'`. */
  readonly channel?: string
  /** `application_name` of the LISTEN connection (find it in pg_stat_activity). Default `'auth-revocation-listener'`. */
  readonly applicationName?: string
  /** Milliseconds between heartbeats (`SELECT 1` on the LISTEN connection). Default 1000. */
  readonly heartbeatInterval?: number
  /** Milliseconds any one call may take before it fails with `AuthError('ERR_STORAGE_UNAVAILABLE')`. Default 2000. */
  readonly commandTimeout?: number
  /** Milliseconds between reconnection attempts of the LISTEN connection. Default 500. */
  readonly reconnectDelay?: number
}

/** The PostgreSQL revocation feed. */
export interface PostgresRevocationFeed extends RevocationFeed {
  /** Creates the log table and its index if they do not exist (idempotent). */
  migrate(): Promise<void>
  /** Ends the pool if the feed created it. Subscriptions are closed by their own unsubscribe. */
  close(): Promise<void>
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * A {@link RevocationFeed} on PostgreSQL: LISTEN/NOTIFY for speed, a small table for the resync.
 * It can serve any family store (the feed and the store need not share a database).
 *
 * - `publish` is one statement: upsert `(family_id, until)` into the log table (the later
 *   `until` kept), delete entries whose `until` has passed, and `pg_notify` the channel with
 *   `[familyId, until]`. NOTIFY is transactional, so the broadcast happens exactly when the log
 *   row commits.
 * - `subscribe` opens a dedicated `pg.Client` (not from a pool: LISTEN belongs to a session),
 *   LISTENs, and runs `SELECT 1` on it every `heartbeatInterval`; an error, the connection
 *   ending, or a heartbeat timeout reports `disconnected` and reconnects every `reconnectDelay`.
 * - `listRevoked(now)` selects the rows whose `until` is after `now`.
 *
 * Through PgBouncer in transaction mode LISTEN does not work: point `connectionString` at
 * PostgreSQL itself (or a session-mode pool).
 *
 * @example
 * ```ts ignore
 * const feed = createPostgresRevocationFeed({ connectionString: process.env.DATABASE_URL! })
 * await feed.migrate()
 * const revocations = createRevokedFamilies({ feed })
 * ```
 */
export function createPostgresRevocationFeed(options: PostgresRevocationFeedOptions): PostgresRevocationFeed {
  const bad = (message: string): never => {
    throw new AuthError('ERR_CONFIG_INVALID', `createPostgresRevocationFeed: ${message}`)
  }
  if (options === null || typeof options !== 'object') bad('options must be an object')
  assertKnownOptions('createPostgresRevocationFeed', options, [
    'connectionString',
    'pool',
    'table',
    'schema',
    'channel',
    'applicationName',
    'heartbeatInterval',
    'commandTimeout',
    'reconnectDelay',
  ])
  const { connectionString } = options
  if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
    bad('connectionString must be a postgres:// URL')
  }
  const tableName = options.table ?? 'auth_revocations'
  const channel = options.channel ?? 'auth_revoked'
  for (const [what, name] of [
    ['table', tableName],
    ['channel', channel],
    ['schema', options.schema ?? 'public'],
  ] as const) {
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) bad(`${what} must be a plain SQL identifier`)
  }
  const table = options.schema === undefined ? `"${tableName}"` : `"${options.schema}"."${tableName}"`
  const timeout = options.commandTimeout ?? 2000
  const heartbeat = options.heartbeatInterval ?? 1000
  const reconnectDelay = options.reconnectDelay ?? 500
  for (const [what, value, min] of [
    ['commandTimeout', timeout, 1],
    ['heartbeatInterval', heartbeat, 10],
    ['reconnectDelay', reconnectDelay, 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min) bad(`${what} must be an integer of at least ${min} (ms)`)
  }
  const applicationName = options.applicationName ?? 'auth-revocation-listener'
  const clientConfig: ClientConfig = {
    connectionString,
    application_name: applicationName,
    connectionTimeoutMillis: timeout,
    keepAlive: true,
  }

  let ownedPool: Pool | undefined
  let poolPromise: Promise<PgPoolLike> | undefined
  const pool = (): Promise<PgPoolLike> => {
    if (options.pool) return Promise.resolve(options.pool)
    poolPromise ??= loadPg().then((pg) => {
      ownedPool = new pg.Pool({ connectionString, max: 2, connectionTimeoutMillis: timeout, idleTimeoutMillis: 10_000 })
      ownedPool.on('error', () => {}) // an idle client's error surfaces on the next query
      return ownedPool
    })
    return poolPromise
  }

  const bounded = <T>(operation: string, call: () => Promise<T>): Promise<T> =>
    withStorageDeadline(`PostgreSQL revocation ${operation}`, timeout, call)

  return {
    async migrate() {
      const p = await pool()
      await bounded('migrate', async () => {
        await p.query(`CREATE TABLE IF NOT EXISTS ${table} (family_id text PRIMARY KEY, until bigint NOT NULL)`)
        await p.query(`CREATE INDEX IF NOT EXISTS "${tableName}_until" ON ${table} (until)`)
      })
    },

    async publish(familyId, until) {
      const p = await pool()
      await bounded('publish', () =>
        p.query(
          `WITH logged AS (
             INSERT INTO ${table} (family_id, until) VALUES ($1, $2)
             ON CONFLICT (family_id) DO UPDATE SET until = GREATEST(${table}.until, EXCLUDED.until)
             RETURNING 1
           ), trimmed AS (DELETE FROM ${table} WHERE until <= $3)
           SELECT pg_notify($4, $5) FROM logged`,
          [familyId, until, Date.now(), channel, JSON.stringify([familyId, until])],
        ),
      )
    },

    async listRevoked(now): Promise<RevokedEntry[]> {
      const p = await pool()
      const result = await bounded('resync', () =>
        p.query<{ family_id: string; until: string }>(`SELECT family_id, until FROM ${table} WHERE until > $1`, [now]),
      )
      return result.rows.map((row) => ({ familyId: row.family_id, until: Number(row.until) }))
    },

    async subscribe(onRevoked, onState) {
      const pg = await loadPg()
      let stopped = false
      let client: Client | null = null
      let reconnectTimer: ReturnType<typeof setTimeout> | undefined
      const report = (next: RevocationFeedState): void => {
        if (!stopped) onState(next)
      }

      const drop = (dead: Client): void => {
        if (client !== dead) return
        client = null
        report('disconnected')
        dead.removeAllListeners('notification')
        dead.end().catch(() => {})
        if (!stopped) {
          reconnectTimer = setTimeout(() => void connect().catch(() => {}), reconnectDelay)
          reconnectTimer.unref?.()
        }
      }

      const connect = async (): Promise<void> => {
        const next = new pg.Client(clientConfig)
        next.on('error', () => drop(next))
        next.on('end', () => drop(next))
        next.on('notification', (message) => {
          if (message.channel !== channel || message.payload === undefined) return
          try {
            const parsed: unknown = JSON.parse(message.payload)
            if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'number') return
            onRevoked(parsed[0], parsed[1])
          } catch {
            // Not ours: ignore it.
          }
        })
        client = next
        try {
          await bounded('subscribe', async () => {
            await next.connect()
            await next.query(`LISTEN "${channel}"`)
          })
        } catch (error) {
          drop(next)
          throw error
        }
        if (stopped) {
          await next.end().catch(() => {})
          return
        }
        report('connected')
      }

      let beating = false
      const beat = async (): Promise<void> => {
        const current = client
        if (beating || stopped || current === null) return
        beating = true
        try {
          await bounded('heartbeat', () => current.query('SELECT 1'))
          if (client === current) report('connected')
        } catch {
          drop(current)
        } finally {
          beating = false
        }
      }
      const timer = setInterval(() => void beat(), heartbeat)
      timer.unref?.()

      try {
        await connect()
      } catch (error) {
        stopped = true
        clearInterval(timer)
        clearTimeout(reconnectTimer)
        throw error
      }

      return async () => {
        stopped = true
        clearInterval(timer)
        clearTimeout(reconnectTimer)
        const current = client
        client = null
        if (current) await current.end().catch(() => {})
      }
    },

    async close() {
      if (ownedPool) await ownedPool.end().catch(() => {})
    },
  }
}

/** pg is an optional peer dependency: loaded only when a PostgreSQL feed is used. */
async function loadPg(): Promise<typeof import('pg')> {
  try {
    const module = await import('pg')
    return (module as unknown as { default?: typeof import('pg') }).default ?? module
  } catch (cause) {
    throw new AuthError('ERR_CONFIG_INVALID', 'createPostgresRevocationFeed needs the pg package: install pg', {
      cause,
    })
  }
}
