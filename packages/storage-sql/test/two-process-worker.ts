// A worker process of two-process.test.ts: its own pg pool, store and engine on the shared
// table. It refreshes the token it is sent, many times at once, at the instant it is told.
import { createEngine } from '@auth/core'
import { createSqlStore } from '../src/index.js'
import { openPostgres } from './support.js'

/** What the parent sends. */
export type WorkerCommand = { readonly type: 'go'; readonly token: string; readonly at: number; readonly count: number }

/** What a worker reports for one refresh. */
export type RefreshOutcome =
  | {
      readonly ok: true
      readonly type: 'rotated' | 'replayed'
      readonly refreshToken: string
      readonly generation: number
    }
  | { readonly ok: false; readonly code: string }

/** What the worker sends back. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'results'; readonly pid: number; readonly outcomes: readonly RefreshOutcome[] }
  | { readonly type: 'error'; readonly message: string }

const { DATABASE_URL, AUTH_TABLE, AUTH_SECRET } = process.env
if (!DATABASE_URL || !AUTH_TABLE || !AUTH_SECRET || process.send === undefined) {
  throw new Error('two-process worker: needs DATABASE_URL, AUTH_TABLE, AUTH_SECRET and an IPC channel')
}
const send = (message: WorkerMessage) => process.send?.(message)

const db = openPostgres(DATABASE_URL, 20)
const store = createSqlStore({ db, dialect: 'postgres', table: AUTH_TABLE })
const engine = createEngine({ store, issuer: 'https://two-process.test', audience: 'api', secret: AUTH_SECRET })

async function refresh(token: string): Promise<RefreshOutcome> {
  const result = await engine.refresh(token, { binding: 'same-client' })
  return result.ok
    ? { ok: true, type: result.type, refreshToken: result.pair.refreshToken, generation: result.pair.generation }
    : { ok: false, code: result.code }
}

process.on('message', (command: WorkerCommand) => {
  // The barrier: both processes wait for the same wall-clock instant, then fire everything.
  setTimeout(
    () => {
      Promise.all(Array.from({ length: command.count }, () => refresh(command.token))).then(
        (outcomes) => send({ type: 'results', pid: process.pid, outcomes }),
        (error: unknown) => send({ type: 'error', message: String(error) }),
      )
    },
    Math.max(0, command.at - Date.now()),
  )
})

process.on('disconnect', () => {
  db.destroy().finally(() => process.exit(0))
})

send({ type: 'ready', pid: process.pid })
