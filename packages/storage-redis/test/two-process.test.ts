import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createEngine } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createRedisStore } from '../src/index.js'
import { deletePrefix, randomPrefix } from './redis-harness.js'

const url = serviceUrl('REDIS_URL', 'Redis two-process race')

const WORKER = fileURLToPath(new URL('./two-process-worker.ts', import.meta.url))
const HOOKS = new URL('./ts-hooks.mjs', import.meta.url).href
const PER_PROCESS = 100
const SECRET = 'H9iVikHgtaH1KHt15oGiWe+b/Hy7GmCyB4XA6V7dFa8='

type Outcome = { type: string; successor?: string; generation?: number }
type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'done'; pid: number; outcomes: Outcome[]; startedAt: number; endedAt: number }

/** Starts one worker: a separate Node process running the TypeScript source directly. */
function startWorker(env: Record<string, string>): ChildProcess {
  return fork(WORKER, [], {
    execPath: process.execPath,
    execArgv: ['--conditions=@auth/source', '--import', HOOKS, '--no-warnings'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

/** Resolves with the next message of `type` from `child`; rejects if it exits first. */
function next<T extends WorkerMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type !== type) return
      child.off('exit', onExit)
      child.off('message', onMessage)
      resolve(message as Extract<WorkerMessage, { type: T }>)
    }
    const onExit = (code: number | null) => reject(new Error(`worker ${child.pid} exited (${code}) before '${type}'`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

describe.skipIf(!url)('two processes, one Redis', () => {
  it(`both refresh one generation at the same moment (${PER_PROCESS} each): exactly one rotation across them`, async () => {
    const prefix = randomPrefix()
    const admin = new Redis(url as string)
    const store = createRedisStore({ client: admin, prefix })
    const workers: ChildProcess[] = []
    try {
      const engine = createEngine({
        store,
        issuer: 'https://two-process.auth.test',
        audience: 'two-process',
        secret: SECRET,
        algorithm: 'HS256',
        policy: { reuseGrace: '10s', graceBinding: 'none' },
      })
      const login = await engine.issue('two-process-user')
      const env = {
        REDIS_URL: url as string,
        TEST_PREFIX: prefix,
        TEST_SECRET: SECRET,
        TEST_TOKEN: login.refreshToken,
        TEST_REFRESHES: String(PER_PROCESS),
      }
      workers.push(startWorker(env), startWorker(env))
      const ready = await Promise.all(workers.map((w) => next(w, 'ready')))
      expect(new Set(ready.map((r) => r.pid)).size).toBe(2)
      expect(ready.every((r) => r.pid !== process.pid)).toBe(true)
      // The barrier: both processes are connected and waiting; release them together.
      const done = workers.map((w) => next(w, 'done'))
      for (const w of workers) w.send({ type: 'go' })
      const reports = await Promise.all(done)

      // For the log: how the two bursts overlapped in time (not asserted: scheduling is not ours).
      const [a, b] = reports as [(typeof reports)[0], (typeof reports)[0]]
      const overlap = Math.min(a.endedAt, b.endedAt) - Math.max(a.startedAt, b.startedAt)
      console.info(
        `two-process race: bursts of ${a.endedAt - a.startedAt} and ${b.endedAt - b.startedAt} ms overlapped by ${overlap} ms`,
      )

      const all = reports.flatMap((r) => r.outcomes)
      expect(all).toHaveLength(2 * PER_PROCESS)
      const rotations = all.filter((o) => o.type === 'rotated')
      expect(rotations).toHaveLength(1)
      expect(all.filter((o) => o.type === 'replayed')).toHaveLength(2 * PER_PROCESS - 1)
      // Everyone, in both processes, holds the one successor.
      expect(new Set(all.map((o) => o.successor))).toEqual(new Set([rotations[0]?.successor]))
      expect(all.every((o) => o.generation === 1)).toBe(true)
      // No lost update: one write, as stored.
      expect(await store.get(login.familyId)).toMatchObject({ generation: 1, version: 2, status: 'active' })
      // Both processes really took part.
      expect(reports.every((r) => r.outcomes.length === PER_PROCESS)).toBe(true)
      // And the successor carries on.
      const after = await engine.refresh(rotations[0]?.successor as string)
      expect(after.ok && after.type).toBe('rotated')
    } finally {
      for (const w of workers) if (w.exitCode === null) w.kill()
      await deletePrefix(admin, prefix)
      await admin.quit()
    }
  }, 60_000)
})
