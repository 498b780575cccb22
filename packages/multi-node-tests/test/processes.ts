// The test processes of this package: TypeScript through tsx (some sources use TypeScript-only
// syntax such as parameter properties, so not Node's own type stripping), workspace packages from
// src/. Each reports `{ type: 'ready', url }` over IPC once it serves, and exits on `{ type: 'stop' }`.
import { type ChildProcess, fork } from 'node:child_process'

const TSX = import.meta.resolve('tsx')

/** One running test process and the URL it reported. */
export interface RunningProcess {
  readonly child: ChildProcess
  readonly url: string
}

/** Starts `script` with `env` and resolves once it reports ready (30 s at most). */
export function startProcess(script: string, env: Record<string, string>, name: string): Promise<RunningProcess> {
  const child = fork(script, [], {
    execPath: process.execPath,
    execArgv: ['--conditions=@auth/source', '--import', TSX, '--no-warnings'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000)
    child.once('message', (message: { type: string; url: string }) => {
      clearTimeout(timer)
      if (message.type === 'ready') resolve({ child, url: message.url })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited (${code}) before it was ready`))
    })
  })
}

/** Asks the process to stop and waits for it (killed after 5 s). */
export async function stopProcess(running: RunningProcess): Promise<void> {
  if (running.child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()))
  running.child.send({ type: 'stop' })
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Deletes every Redis key under `namespace:` that a test's processes wrote. */
export async function deleteRedisNamespace(admin: import('ioredis').Redis, namespace: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await admin.unlink(...keys)
  } while (cursor !== '0')
}
