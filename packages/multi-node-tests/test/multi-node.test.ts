// Several app processes (Fastify + @auth/fastify, each its own Node process) share one store:
// first one Redis, then one PostgreSQL. Over real HTTP: 500 concurrent refreshes of one
// generation spread over the processes rotate exactly once; logout-all racing a refresh never
// leaves a live family; a logout on one process is refused on the others through the revocation feed.
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createEngine, type Engine } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { createRedisStore } from '@auth/storage-redis'
import { createPostgresRevocationFeed, createSqlStore, MIGRATIONS_TABLE, migrate } from '@auth/storage-sql'
import { Redis } from 'ioredis'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteRedisNamespace, type RunningProcess, startProcess, stopProcess } from './processes.js'

const APP = fileURLToPath(new URL('./app.ts', import.meta.url))
const NODES = 3
const SECRET = 'lqq3AztzNzaU6hrDnGdZQ3XjVKGqyJgdCbVqRBb9b7c='
const ENGINE = {
  issuer: 'https://multi-node.auth.test',
  audience: 'multi-node',
  secret: SECRET,
  algorithm: 'HS256',
  policy: { reuseGrace: '30s', graceBinding: 'none' },
} as const

interface Config {
  readonly name: 'redis' | 'postgres'
  readonly url: string | undefined
  /** Prepares the shared store; returns the observer's engine (no feed) and a cleanup. */
  readonly prepare: (url: string, namespace: string) => Promise<{ observer: Engine; cleanup: () => Promise<void> }>
}

const configs: Config[] = [
  {
    name: 'redis',
    url: serviceUrl('REDIS_URL', 'multi-node on Redis'),
    async prepare(url, namespace) {
      const admin = new Redis(url, { maxRetriesPerRequest: 1 })
      const store = createRedisStore({ client: admin, prefix: namespace })
      return {
        observer: createEngine({ store, ...ENGINE }),
        async cleanup() {
          await deleteRedisNamespace(admin, namespace)
          await admin.quit()
        },
      }
    },
  },
  {
    name: 'postgres',
    url: serviceUrl('DATABASE_URL', 'multi-node on PostgreSQL'),
    async prepare(url, namespace) {
      const pool = new pg.Pool({ connectionString: url, max: 4 })
      const db = new Kysely<never>({ dialect: new PostgresDialect({ pool }) })
      const table = `${namespace}_families`
      await migrate(db, { dialect: 'postgres', table })
      const feed = createPostgresRevocationFeed({ connectionString: url, pool, table: `${namespace}_revocations` })
      await feed.migrate()
      return {
        observer: createEngine({ store: createSqlStore({ db, dialect: 'postgres', table }), ...ENGINE }),
        async cleanup() {
          await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db)
          await sql`DROP TABLE IF EXISTS ${sql.table(`${namespace}_revocations`)}`.execute(db)
          await sql`DELETE FROM ${sql.table(MIGRATIONS_TABLE)} WHERE table_name = ${table}`.execute(db)
          await db.destroy()
        },
      }
    },
  },
]

type RunningNode = RunningProcess

/** Starts one app process. */
const startNode = (env: Record<string, string>) => startProcess(APP, env, `node ${env.NODE_NAME}`)
const stopNode = stopProcess

interface TokenBody {
  access_token: string
  refresh_token: string
}

/** A response body as this suite reads it: a token response, an error body, or `{ revoked }`. */
type Body = Partial<TokenBody> & { error?: string; revoked?: number }

async function post(url: string, body: unknown, accessToken?: string): Promise<{ status: number; body: Body }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }),
    },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Body) }
}

async function me(url: string, accessToken: string): Promise<number> {
  const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
  await response.arrayBuffer()
  return response.status
}

async function stats(nodes: readonly RunningNode[]): Promise<Array<Record<string, number>>> {
  return Promise.all(
    nodes.map(
      async (n) => ((await (await fetch(`${n.url}/stats`)).json()) as { counts: Record<string, number> }).counts,
    ),
  )
}

const sum = (all: Array<Record<string, number>>, key: string) => all.reduce((total, c) => total + (c[key] ?? 0), 0)

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number
}

for (const config of configs) {
  describe.skipIf(!config.url)(`${NODES} app processes on one ${config.name}`, () => {
    const namespace = `mn_${randomBytes(5).toString('hex')}`
    const nodes: RunningNode[] = []
    let observer: Engine
    let cleanup: () => Promise<void> = async () => {}

    beforeAll(async () => {
      const prepared = await config.prepare(config.url as string, namespace)
      observer = prepared.observer
      cleanup = prepared.cleanup
      const started = await Promise.all(
        Array.from({ length: NODES }, (_, i) =>
          startNode({
            NODE_STORE: config.name,
            NODE_URL: config.url as string,
            NODE_NAMESPACE: namespace,
            NODE_SECRET: SECRET,
            NODE_NAME: `node-${i}`,
          }),
        ),
      )
      nodes.push(...started)
    }, 60_000)

    afterAll(async () => {
      await Promise.all(nodes.map(stopNode))
      await cleanup()
    }, 30_000)

    it('500 concurrent refreshes of one generation, spread over the processes: exactly one rotation, 499 grace replays with the identical successor', async () => {
      const login = await post(`${nodes[0]?.url}/login`, { username: 'racer' })
      expect(login.status).toBe(200)
      const before = await stats(nodes)
      const token = (login.body as TokenBody).refresh_token
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => post(`${nodes[i % NODES]?.url}/auth/refresh`, { refresh_token: token })),
      )
      const after = await stats(nodes)
      const statuses = new Map<number, number>()
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      const successors = new Set(
        results.filter((r) => r.status === 200).map((r) => (r.body as TokenBody).refresh_token),
      )
      const rotated = sum(after, 'rotated') - sum(before, 'rotated')
      const replayed = sum(after, 'replayed') - sum(before, 'replayed')
      const perNode = after.map(
        (c, i) =>
          `node-${i}: ${c.rotated! - before[i]!.rotated!} rotated, ${c.replayed! - before[i]!.replayed!} replayed`,
      )
      console.log(
        `[multi-node ${config.name}] 500 refreshes: statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${perNode.join('; ')}`,
      )

      expect(statuses.get(200)).toBe(500)
      expect(rotated).toBe(1)
      expect(replayed).toBe(499)
      expect(successors.size).toBe(1)
      const families = await observer.list('racer')
      expect(families.map((f) => f.generation)).toEqual([1])
      // The one successor is the live generation: it rotates again.
      const next = await post(`${nodes[1]?.url}/auth/refresh`, { refresh_token: [...successors][0] })
      expect(next.status).toBe(200)
    })

    it('logout-all racing a refresh on other processes never leaves a live family (20 rounds)', async () => {
      let refreshWon = 0
      for (let round = 0; round < 20; round++) {
        const subject = `racer-${round}`
        const [a, b] = nodes.map((_, i) => nodes[(round + i) % NODES]?.url as string) as [string, string]
        const c = nodes[(round + 2) % NODES]?.url as string
        const first = (await post(`${a}/login`, { username: subject })).body as TokenBody
        const second = (await post(`${b}/login`, { username: subject })).body as TokenBody
        const [logoutAll, refreshed] = await Promise.all([
          post(`${b}/auth/logout-all`, {}, first.access_token),
          post(`${c}/auth/refresh`, { refresh_token: first.refresh_token }),
        ])
        expect(logoutAll.status).toBe(200)
        expect(await observer.list(subject)).toEqual([])
        // Neither family's refresh token works any more, wherever it is presented.
        expect((await post(`${a}/auth/refresh`, { refresh_token: second.refresh_token })).status).toBe(400)
        if (refreshed.status === 200) {
          refreshWon++
          const won = refreshed.body as TokenBody
          expect((await post(`${a}/auth/refresh`, { refresh_token: won.refresh_token })).status).toBe(400)
          // Its access token, minted just before the family was revoked, is refused on every node (revocation feed).
          for (const node of nodes) {
            const deadline = Date.now() + 1_000
            while ((await me(node.url, won.access_token)) !== 401) {
              if (Date.now() > deadline) throw new Error(`round ${round}: ${node.url} still accepts a revoked family`)
              await new Promise((resolve) => setTimeout(resolve, 10))
            }
          }
        } else {
          expect(refreshed.status).toBe(400)
          expect(refreshed.body.error).toBe('invalid_grant')
        }
      }
      console.log(`[multi-node ${config.name}] logout-all vs refresh: the refresh won ${refreshWon} of 20 races`)
    })

    it('a logout on one process is refused on the others within a second (revocation feed)', async () => {
      const latencies: number[] = []
      for (let i = 0; i < 20; i++) {
        const [origin, ...others] = nodes.map((_, k) => nodes[(i + k) % NODES]?.url as string) as [string, ...string[]]
        const pair = (await post(`${origin}/login`, { username: `leaver-${i}` })).body as TokenBody
        for (const other of others) expect(await me(other, pair.access_token)).toBe(200)
        const start = performance.now()
        expect((await post(`${origin}/auth/logout`, {}, pair.access_token)).status).toBe(204)
        for (const other of others) {
          while ((await me(other, pair.access_token)) !== 401) {
            if (performance.now() - start > 2_000) throw new Error(`${other} still accepts a logged-out family`)
          }
        }
        latencies.push(performance.now() - start)
      }
      latencies.sort((x, y) => x - y)
      console.log(
        `[multi-node ${config.name}] logout on one process -> 401 on both others: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, max ${percentile(latencies, 1).toFixed(1)} ms (20 logouts)`,
      )
      expect(percentile(latencies, 1)).toBeLessThan(1_000)
    })
  })
}
