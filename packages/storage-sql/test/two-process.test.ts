import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createEngine } from '@auth/core'
import { serviceUrl } from '@auth/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqlStore, migrate } from '../src/index.js'
import { dropTable, openPostgres, uniqueName } from './support.js'
import type { RefreshOutcome, WorkerCommand, WorkerMessage } from './two-process-worker.js'

const url = serviceUrl('DATABASE_URL', 'two processes, one PostgreSQL')
const WORKER = fileURLToPath(new URL('./two-process-worker.ts', import.meta.url))
/** The package folder: `--import tsx` resolves from the working directory. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
/** Concurrent refreshes each process fires per round. */
const PER_PROCESS = 25
const ROUNDS = 3

/** Resolves with the next message of `child` that `accept` takes, failing on an error report or exit. */
function next<T extends WorkerMessage>(child: ChildProcess, accept: (m: WorkerMessage) => m is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'error') finish(() => reject(new Error(`worker ${child.pid}: ${message.message}`)))
      else if (accept(message)) finish(() => resolve(message))
    }
    const onExit = (code: number | null) => finish(() => reject(new Error(`worker ${child.pid} exited (${code})`)))
    const finish = (settle: () => void) => {
      child.off('message', onMessage)
      child.off('exit', onExit)
      settle()
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

describe.skipIf(url === undefined)('two processes, one PostgreSQL', () => {
  if (url === undefined) return
  const db = openPostgres(url, 4)
  const table = uniqueName('two_proc')
  const secret = randomBytes(32).toString('base64url')
  const children: ChildProcess[] = []

  afterAll(async () => {
    for (const child of children) if (child.connected) child.disconnect()
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null ? undefined : new Promise<void>((resolve) => child.once('exit', () => resolve())),
      ),
    )
    await dropTable(db, table)
    await db.destroy()
  })

  it('both refresh the same generation at the same instant: exactly one rotation across them', async () => {
    await migrate(db, { dialect: 'postgres', table })
    const store = createSqlStore({ db, dialect: 'postgres', table })
    const engine = createEngine({ store, issuer: 'https://two-process.test', audience: 'api', secret })
    const login = await engine.issue('alice', { meta: { userAgent: 'two-process test' } })

    for (let i = 0; i < 2; i++) {
      const child = fork(WORKER, [], {
        // Core's sources import './x.js' for './x.ts', which Node's own type stripping cannot map; tsx can.
        execArgv: ['--conditions=@auth/source', '--import', 'tsx'],
        cwd: PACKAGE_DIR,
        env: { ...process.env, DATABASE_URL: url, AUTH_TABLE: table, AUTH_SECRET: secret },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
    }
    const ready = await Promise.all(
      children.map((child) => next(child, (m): m is Extract<WorkerMessage, { type: 'ready' }> => m.type === 'ready')),
    )
    expect(new Set(ready.map((m) => m.pid)).size).toBe(2)
    expect(ready.map((m) => m.pid)).not.toContain(process.pid)

    let token = login.refreshToken
    for (let round = 1; round <= ROUNDS; round++) {
      const command: WorkerCommand = { type: 'go', token, at: Date.now() + 300, count: PER_PROCESS }
      const pending = children.map((child) =>
        next(child, (m): m is Extract<WorkerMessage, { type: 'results' }> => m.type === 'results'),
      )
      for (const child of children) child.send(command)
      const reports = await Promise.all(pending)
      const outcomes: RefreshOutcome[] = reports.flatMap((r) => r.outcomes)
      expect(outcomes).toHaveLength(2 * PER_PROCESS)

      // Exactly one rotation across both processes; every other call is a grace replay that
      // hands out the very same successor, in either process.
      const rotated = outcomes.filter((o) => o.ok && o.type === 'rotated')
      expect(rotated, `round ${round}`).toHaveLength(1)
      const winner = rotated[0] as Extract<RefreshOutcome, { ok: true }>
      expect(winner.generation).toBe(round)
      for (const outcome of outcomes) {
        expect(outcome.ok, JSON.stringify(outcome)).toBe(true)
        expect((outcome as typeof winner).refreshToken).toBe(winner.refreshToken)
      }
      for (const report of reports) {
        expect(report.outcomes.filter((o) => o.ok && o.type === 'replayed').length).toBeGreaterThan(0)
      }

      // What PostgreSQL holds: one write per round, nothing lost.
      const stored = await store.get(login.familyId)
      expect(stored?.generation).toBe(round)
      expect(stored?.version).toBe(round + 1)
      expect(stored?.status).toBe('active')
      token = winner.refreshToken
    }
  }, 60_000)
})
