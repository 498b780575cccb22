import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ConformanceHarness } from '@auth/storage-conformance'
import { Cluster, Redis } from 'ioredis'
import { createRedisStore, type RedisStore } from '../src/index.js'
import { randomPrefix, redisInspector } from './redis-harness.js'

const run = promisify(execFile)

/** A private 3-master Redis Cluster of child processes, on 127.0.0.1 only. */
export interface LocalCluster {
  /** The masters' client ports (the cluster bus listens on each port + 10000). */
  readonly ports: readonly number[]
  /** Opens an ioredis `Cluster` on it, with the options docs/storage/redis.md recommends. */
  client(): Promise<Cluster>
  /** Kills every server and deletes the temporary directory. */
  stop(): Promise<void>
}

/**
 * Whether `redis-server` and `redis-cli` are installed. When they are not, prints why the suite is
 * skipped (in the style of `serviceUrl`) and returns false; use with `describe.skipIf`.
 */
export function redisBinaries(suite: string): boolean {
  for (const binary of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' })
    if (probe.error !== undefined || probe.status !== 0) {
      console.warn(
        `[skip] ${suite}: ${binary} is not on PATH, so no local Redis Cluster can be started (CI has it and fails on skips)`,
      )
      return false
    }
  }
  return true
}

/** Resolves whether `port` can be bound on 127.0.0.1 right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** `count` distinct ports P in [20000, 45000) where both P and its cluster bus port P+10000 are free. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = []
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 200) throw new Error('cluster harness: no free port pair found in 200 tries')
    const port = 20_000 + Math.floor(Math.random() * 25_000)
    if (ports.some((p) => Math.abs(p - port) < 2 || Math.abs(p + 10_000 - port) < 2 || Math.abs(p - 10_000 - port) < 2))
      continue
    if ((await portFree(port)) && (await portFree(port + 10_000))) ports.push(port)
  }
  return ports
}

/** Polls `check` every 100 ms until it returns true, or throws after `ms` (or at once when `failed()` says why). */
async function until(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
  failed: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + ms
  let last: unknown
  while (Date.now() < deadline) {
    const reason = failed()
    if (reason !== undefined) throw new Error(`cluster harness: ${what}: ${reason}`)
    try {
      if (await check()) return
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`cluster harness: ${what} not within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`)
}

/** One short-lived plain connection to one node, for set-up checks. */
async function onNode<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await fn(redis)
  } finally {
    redis.disconnect()
  }
}

/**
 * Starts three `redis-server --cluster-enabled yes` child processes (not daemonized, no
 * persistence, bound to 127.0.0.1 on free ports), joins them with `redis-cli --cluster create`
 * (no replicas: each master owns about a third of the 16384 slots), and waits until every node
 * reports `cluster_state:ok`, knows all three nodes and sees every slot assigned.
 * Never touches the shared Redis on 6379.
 */
export async function startCluster(): Promise<LocalCluster> {
  // A port found free can be taken by another process before redis-server binds it: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce()
    } catch (error) {
      if (attempt === 3) throw error
      console.warn(`[cluster] start attempt ${attempt} failed, retrying: ${String(error)}`)
    }
  }
}

async function startClusterOnce(): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-redis-cluster-'))
  const ports = await freePorts(3)
  const children: ChildProcess[] = []
  const clients: Cluster[] = []
  // If the test process ends without afterAll (a crash, a timeout), take the servers with it.
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', killAll)
  const stop = async () => {
    process.off('exit', killAll)
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())))
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGKILL')
          }),
      ),
    )
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) {
      // biome-ignore format: one flag per line reads best
      const child = spawn('redis-server', [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '2000',
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
      ], { stdio: 'ignore' })
      children.push(child)
    }
    const exited = () => {
      const dead = children.find((child) => child.exitCode !== null || child.signalCode !== null)
      return dead === undefined ? undefined : `a redis-server exited (${dead.exitCode ?? dead.signalCode})`
    }
    for (const port of ports)
      await until(
        `redis-server on ${port} answering PING`,
        10_000,
        () => onNode(port, async (r) => (await r.ping()) === 'PONG'),
        exited,
      )
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    )
    await until(
      'cluster_state:ok on every node',
      20_000,
      async () => {
        const infos = await Promise.all(ports.map((port) => onNode(port, (r) => r.cluster('INFO') as Promise<string>)))
        return infos.every(
          (info) =>
            info.includes('cluster_state:ok') &&
            info.includes('cluster_slots_assigned:16384') &&
            info.includes('cluster_known_nodes:3'),
        )
      },
      exited,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return {
    ports,
    async client() {
      const cluster = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        {
          enableOfflineQueue: false,
          lazyConnect: true,
          redisOptions: { commandTimeout: 2000, maxRetriesPerRequest: 1 },
        },
      )
      cluster.on('error', () => {})
      clients.push(cluster)
      await cluster.connect()
      return cluster
    },
    stop,
  }
}

/** Deletes every key under `prefix`, scanning each master (SCAN sees one node only), one key per UNLINK (no cross-slot). */
export async function deleteClusterPrefix(cluster: Cluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes('master')) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await Promise.all(keys.map((key) => node.unlink(key)))
    } while (cursor !== '0')
  }
}

/** Every key under `prefix`, with the port of the master that physically holds it (SCAN on each master). */
export async function keysByNode(cluster: Cluster, prefix: string): Promise<Map<string, number>> {
  const where = new Map<string, number>()
  for (const node of cluster.nodes('master')) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      for (const key of keys) where.set(key, node.options.port as number)
    } while (cursor !== '0')
  }
  return where
}

/**
 * The conformance harness on the Cluster: a store on the shared `Cluster` client (which the
 * store does not own, so `close()` leaves it open) under a fresh prefix, and the side channel of
 * {@link redisInspector} through the same client.
 */
export function clusterHarness(cluster: Cluster): ConformanceHarness & { store: RedisStore; prefix: string } {
  const prefix = randomPrefix()
  const store = createRedisStore({ client: cluster, prefix })
  return {
    store,
    prefix,
    inspect: redisInspector(store, cluster),
    async cleanup() {
      await store.close()
      await deleteClusterPrefix(cluster, prefix)
    },
  }
}
