import { type AuthEvent, createEngine, type Engine, type RefreshResult, type TokenPair } from '@auth/core'
import { createManualClock, serviceUrl } from '@auth/core/testing'
import { newSubject, runStoreConformance, SUITE_POLICY } from '@auth/storage-conformance'
import { type Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisRevocationFeed, type RedisStore } from '../src/index.js'
import { COMPARE_AND_SET, CREATE, INDEX_ADD, INDEX_PAGE } from '../src/scripts.js'
import { clusterHarness, keysByNode, type LocalCluster, redisBinaries, startCluster } from './cluster-harness.js'
import { randomPrefix } from './redis-harness.js'

// Gated on REDIS_URL too, so that it belongs to the "needs Redis" set (CI sets it and fails on skips),
// although the Cluster is a private one this file starts and stops: the shared Redis is never touched.
const url = serviceUrl('REDIS_URL', 'Redis Cluster')
const binaries = url !== undefined && redisBinaries('Redis Cluster')

const RACERS = 200

describe.skipIf(!url || !binaries)('redis cluster (3 masters, started by this file)', () => {
  let local: LocalCluster
  let cluster: Cluster

  beforeAll(async () => {
    const started = Date.now()
    local = await startCluster()
    cluster = await local.client()
    console.info(`[cluster] 3 masters on ports ${local.ports.join(', ')} ready in ${Date.now() - started} ms`)
  })
  afterAll(async () => {
    await local?.stop()
  })

  runStoreConformance({
    name: 'redis cluster',
    expiry: 'native',
    network: true,
    setup: async () => clusterHarness(cluster),
  })

  /** Port of the master that owns `key`'s slot, according to the server (CLUSTER KEYSLOT, CLUSTER SLOTS). */
  async function ownerOf(key: string): Promise<number> {
    const slot = (await cluster.cluster('KEYSLOT', key)) as number
    const ranges = await cluster.cluster('SLOTS')
    const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2]
    if (master === undefined) throw new Error(`slot ${slot} of ${key} has no owner`)
    return master[1]
  }

  function engineOn(store: RedisStore): { engine: Engine; events: AuthEvent[] } {
    const events: AuthEvent[] = []
    const engine = createEngine({
      store,
      issuer: 'https://cluster.auth.test',
      audience: 'cluster',
      secret: '+P6AjqfHoayng3Nt0TcVyEg1qpj5UqWyAq9pyebCBJM=',
      algorithm: 'HS256',
      clock: createManualClock(Date.now()),
      policy: SUITE_POLICY,
      onEvent: (event) => events.push(event),
    })
    return { engine, events }
  }

  const outcome = (r: RefreshResult) => (r.ok ? r.type : r.code)

  /** Logs `subject` in until every master holds at least `perNode` of its families. */
  async function loginsOnEveryMaster(engine: Engine, store: RedisStore, subject: string, perNode: number) {
    const logins: (TokenPair & { port: number })[] = []
    const count = (port: number) => logins.filter((l) => l.port === port).length
    while (local.ports.some((port) => count(port) < perNode)) {
      if (logins.length >= 300) throw new Error('families never reached every master')
      const batch = await Promise.all(Array.from({ length: 10 }, () => engine.issue(subject)))
      for (const login of batch) logins.push({ ...login, port: await ownerOf(store.familyKey(login.familyId)) })
    }
    return logins
  }

  it('logout-all revokes every family of one subject although they live on all three masters', async () => {
    const harness = clusterHarness(cluster)
    try {
      const { engine, events } = engineOn(harness.store)
      const subject = newSubject()
      const logins = await loginsOnEveryMaster(engine, harness.store, subject, 5)
      const bystander = await engine.issue(newSubject())

      // Where the keys physically are (SCAN on each master) agrees with the slot owners, and the
      // families span all three masters while the subject index sits on exactly one.
      const physical = await keysByNode(cluster, harness.prefix)
      for (const login of logins) expect(physical.get(harness.store.familyKey(login.familyId))).toBe(login.port)
      expect(new Set(logins.map((l) => l.port))).toEqual(new Set(local.ports))
      const indexPort = physical.get(harness.store.subjectKey(subject))
      expect(indexPort).toBe(await ownerOf(harness.store.subjectKey(subject)))
      expect(logins.filter((l) => l.port !== indexPort).length).toBeGreaterThan(0)
      // The Cluster really enforces slots: one command over two of these families is refused.
      const [a, b] = local.ports.map((port) => logins.find((l) => l.port === port)?.familyId as string)
      await expect(
        cluster.mget(harness.store.familyKey(a as string), harness.store.familyKey(b as string)),
      ).rejects.toThrow(/CROSSSLOT/)

      expect((await engine.list(subject)).map((f) => f.id).sort()).toEqual(logins.map((l) => l.familyId).sort())
      expect(await engine.revokeAll(subject)).toEqual({ revoked: logins.length })

      expect(await engine.list(subject)).toEqual([])
      for (const login of logins) {
        expect(await harness.inspect.raw(login.familyId)).toMatchObject({
          status: 'revoked',
          revocation: { reason: 'logout_all' },
        })
      }
      const refreshes = await Promise.all(logins.map((l) => engine.refresh(l.refreshToken)))
      expect(refreshes.map(outcome)).toEqual(logins.map(() => 'ERR_REFRESH_TOKEN_REVOKED'))
      expect(events.filter((e) => e.type === 'revoked')).toHaveLength(logins.length)
      expect(await harness.inspect.raw(bystander.familyId)).toMatchObject({ status: 'active' })
      expect(outcome(await engine.refresh(bystander.refreshToken))).toBe('rotated')

      // Each master ran the driver's scripts itself (EVALSHA, else EVAL on NOSCRIPT, per node).
      for (const node of cluster.nodes('master')) {
        const loaded = (await node.script(
          'EXISTS',
          CREATE.sha,
          COMPARE_AND_SET.sha,
          INDEX_ADD.sha,
          INDEX_PAGE.sha,
        )) as number[]
        expect(loaded.slice(0, 2), `port ${node.options.port}`).toEqual([1, 1])
      }
    } finally {
      await harness.cleanup()
    }
  })

  it(`${RACERS} concurrent refreshes of one generation, on a family on each master at once: one rotation each`, async () => {
    const harness = clusterHarness(cluster)
    try {
      const { engine, events } = engineOn(harness.store)
      const logins = await loginsOnEveryMaster(engine, harness.store, newSubject(), 1)
      // One family per master, all raced at the same moment: 3 × 200 refreshes in flight.
      const picked = local.ports.map((port) => logins.find((l) => l.port === port) as TokenPair & { port: number })
      const rounds = await Promise.all(
        picked.map((login) => Promise.all(Array.from({ length: RACERS }, () => engine.refresh(login.refreshToken)))),
      )
      for (const [i, results] of rounds.entries()) {
        const login = picked[i] as TokenPair & { port: number }
        const outcomes = results.map(outcome)
        expect(
          outcomes.filter((o) => o === 'rotated'),
          `port ${login.port}`,
        ).toHaveLength(1)
        expect(
          outcomes.filter((o) => o === 'replayed'),
          `port ${login.port}`,
        ).toHaveLength(RACERS - 1)
        const successors = new Set(results.map((r) => (r.ok ? r.pair.refreshToken : null)))
        expect(successors.size).toBe(1)
        // No lost update: exactly one write, as persisted on that master.
        expect(await harness.inspect.raw(login.familyId)).toMatchObject({ generation: 1, version: 2, status: 'active' })
        expect(outcome(await engine.refresh([...successors][0] as string))).toBe('rotated')
      }
      expect(events.filter((e) => e.type === 'rotated')).toHaveLength(2 * picked.length)
    } finally {
      await harness.cleanup()
    }
  })

  it('revocation feed: a revocation published through the Cluster reaches a subscriber on every master', async () => {
    const prefix = `${randomPrefix()}-feed`
    const heard = new Map<number, string[]>(local.ports.map((port) => [port, []]))
    const feeds = local.ports.map((port) =>
      createRedisRevocationFeed({
        client: cluster,
        prefix,
        subscriber: () => new Redis({ host: '127.0.0.1', port, lazyConnect: true }),
      }),
    )
    const unsubscribes: (() => Promise<void>)[] = []
    try {
      for (const [i, feed] of feeds.entries()) {
        const port = local.ports[i] as number
        let connected!: () => void
        const ready = new Promise<void>((resolve) => (connected = resolve))
        unsubscribes.push(
          await feed.subscribe(
            (familyId) => heard.get(port)?.push(familyId),
            (state) => state === 'connected' && connected(),
          ),
        )
        await ready
      }
      const logOwner = await ownerOf((feeds[0] as (typeof feeds)[number]).logKey)
      const until = Date.now() + 60_000
      await (feeds[0] as (typeof feeds)[number]).publish('family-on-the-cluster', until)
      const deadline = Date.now() + 5_000
      while ([...heard.values()].some((ids) => ids.length === 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      // Every master's subscriber heard it, including the two that do not hold the log's slot.
      for (const [port, ids] of heard)
        expect(ids, `subscriber on ${port} (log on ${logOwner})`).toEqual(['family-on-the-cluster'])
      for (const feed of feeds) {
        expect(await feed.listRevoked(Date.now())).toEqual([{ familyId: 'family-on-the-cluster', until }])
      }
    } finally {
      for (const unsubscribe of unsubscribes) await unsubscribe()
      for (const feed of feeds) await feed.close()
      await cluster.unlink((feeds[0] as (typeof feeds)[number]).logKey)
    }
  })
})
