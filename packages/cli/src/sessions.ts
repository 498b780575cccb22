// auth sessions list | revoke, auth migrate, auth check: through the engine, never around it.
import { type AuthEvent, type RevocationFeed, resolvePolicy } from '@auth/core'
import { type Answer, answer, EXIT, type Io, UsageError } from './io.js'
import { loadConfig, openEngine, openFeedUrl, openStoreUrl, storeUrl, type Target } from './store.js'

export interface ListOptions extends Target {
  readonly subject: string | undefined
}

/** `auth sessions list --subject S`: the subject's live families, most recently used first. */
export async function list(io: Io, options: ListOptions): Promise<Answer> {
  if (options.subject === undefined || options.subject === '') throw new UsageError('--subject is required')
  const { engine, opened } = await openEngine(io, options)
  try {
    const families = await engine.list(options.subject)
    const lines = families.length === 0 ? [`no live sessions for ${options.subject}`] : []
    for (const f of families) {
      const ua = typeof f.meta.userAgent === 'string' ? f.meta.userAgent : '-'
      const ip = typeof f.meta.ip === 'string' ? f.meta.ip : '-'
      lines.push(
        `${f.id}  generation ${f.generation}  last used ${new Date(f.lastUsedAt).toISOString()}  created ${new Date(f.createdAt).toISOString()}  ${ip}  ${ua}`,
      )
    }
    return answer(
      {
        subject: options.subject,
        sessions: families.map((f) => ({
          id: f.id,
          generation: f.generation,
          createdAt: f.createdAt,
          lastUsedAt: f.lastUsedAt,
          userAgent: f.meta.userAgent ?? null,
          ip: f.meta.ip ?? null,
        })),
      },
      lines.join('\n'),
    )
  } finally {
    await opened.close()
  }
}

export interface RevokeOptions extends Target {
  readonly family?: string | undefined
  readonly subject?: string | undefined
  readonly feed?: string | undefined
  /** How long a revoked family's access tokens may live: the app's `accessTtl` (default its policy's, or 24h). */
  readonly accessTtl?: string | undefined
}

/**
 * `auth sessions revoke --family F | --subject S`: through the engine (the paged `revokeAll`),
 * with every revocation published to the feed so that every node refuses the access tokens
 * at once. A feed is required; the command waits for every publish and fails (exit 3) if one did
 * not land, saying how many families were revoked.
 */
export async function revoke(io: Io, options: RevokeOptions): Promise<Answer> {
  if ((options.family === undefined) === (options.subject === undefined)) {
    throw new UsageError('give exactly one of --family F or --subject S')
  }
  const config = await loadConfig(io, options)
  let feed: (RevocationFeed & { close?(): Promise<void> }) | undefined = config?.revocationFeed
  const ownFeed = feed === undefined && options.feed !== undefined
  if (ownFeed) feed = await openFeedUrl(options.feed as string)
  if (feed === undefined) {
    throw new UsageError(
      'revoking needs the revocation feed, so that access tokens are refused on every node at once: --feed URL (redis:// or postgres://), or export revocationFeed from the --config module',
    )
  }
  const options_ = config === null ? undefined : (config.engineOptions ?? config.default)
  const policy = resolvePolicy(
    options_?.policy ?? (options.accessTtl === undefined ? { accessTtl: '24h' } : { accessTtl: options.accessTtl }),
  )
  const horizon = policy.accessTtl + policy.leeway
  const publishes: Promise<unknown>[] = []
  let revoked = 0
  const progress = io.stderr.isTTY === true
  const onEvent = (event: AuthEvent) => {
    if (event.type !== 'revoked') return
    revoked++
    publishes.push((feed as RevocationFeed).publish(event.familyId, event.at + horizon))
    if (options.subject !== undefined && (progress ? revoked % 10 === 0 : revoked % 100 === 0)) {
      io.stderr.write(progress ? `\rrevoked ${revoked}…` : `revoked ${revoked}…\n`)
    }
  }
  const { engine, opened } = await openEngine(io, options, onEvent)
  try {
    if (options.subject !== undefined)
      io.stderr.write(`revoking every session of ${options.subject}, a page of 100 at a time\n`)
    let count: number
    if (options.family !== undefined) {
      const result = await engine.revoke(options.family, 'admin', { context: { userAgent: 'auth-cli' } })
      if (!result.ok) {
        return answer(
          { revoked: 0, code: result.code },
          `nothing revoked: ${result.message} (${result.code})`,
          result.code === 'ERR_FAMILY_REVOKED' ? EXIT.ok : EXIT.refused,
        )
      }
      count = 1
    } else {
      count = (await engine.revokeAll(options.subject as string, 'admin', { context: { userAgent: 'auth-cli' } }))
        .revoked
    }
    if (progress && options.subject !== undefined) io.stderr.write('\n')
    const failed = (await Promise.allSettled(publishes)).filter((p) => p.status === 'rejected').length
    if (failed > 0) {
      return answer(
        { revoked: count, published: publishes.length - failed, failed },
        `revoked ${count}, but ${failed} did not reach the revocation feed: their access tokens stay valid until they expire (run the command again to publish them)`,
        EXIT.unavailable,
      )
    }
    return answer(
      { revoked: count, published: publishes.length },
      `revoked ${count} ${count === 1 ? 'session' : 'sessions'}; published to the revocation feed`,
    )
  } finally {
    await opened.close() // (a config module's feed too)
    if (ownFeed) await feed.close?.()
  }
}

/** `auth migrate`: the SQL store's migrations (idempotent); other stores have none. */
export async function migrate(io: Io, options: Target): Promise<Answer> {
  const config = await loadConfig(io, options)
  if (config !== null) {
    if (config.migrate === undefined) throw new UsageError('the --config module exports no migrate() to run')
    return answer({ migrated: await config.migrate() }, "migrated (the config module's migrate())")
  }
  const url = storeUrl(io, options)
  if (url === undefined) throw new UsageError('name the store: --store URL (or AUTH_STORE_URL), or --config FILE')
  const opened = await openStoreUrl(url, options)
  try {
    if (opened.migrate === null) return answer({ migrated: null }, `${opened.describe}: nothing to migrate`)
    const result = await opened.migrate()
    return answer({ migrated: result }, `${opened.describe}: migrated ${JSON.stringify(result)}`)
  } finally {
    await opened.close()
  }
}

/** `auth check`: the engine's own start-up check (clock, keys, store reachable and migrated). */
export async function check(io: Io, options: Target): Promise<Answer> {
  const { engine, opened } = await openEngine(io, options)
  try {
    await engine.check()
    return answer(
      { ok: true, store: opened.describe },
      `ok: the clock, the keys and the store (${opened.describe}) are ready`,
    )
  } finally {
    await opened.close()
  }
}
