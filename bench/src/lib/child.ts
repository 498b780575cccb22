import { type ChildProcess, fork, spawn } from 'node:child_process'
import { join } from 'node:path'
import { BENCH_DIR } from './results.js'

/**
 * Node flags every benchmark child runs with. The bench's own files go through tsx; the workspace
 * packages load from their built `dist`, the JavaScript users install (`pnpm bench` builds first).
 * BENCH_SOURCE=1 loads their TypeScript sources instead (no build needed, but tsx's esbuild adds
 * a `__name` call to every closure it creates, about 1 % of a rotation's samples).
 */
export const TS_FLAGS =
  process.env.BENCH_SOURCE === '1' ? ['--conditions=@auth/source', '--import', 'tsx'] : ['--import', 'tsx']

/** Runs `bench/src/<script>` in a child Node; resolves with its stdout, rejects on a non-zero exit. */
export function runScript(
  script: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_FLAGS, ...nodeFlags, join(BENCH_DIR, 'src', script), ...args], {
      cwd: BENCH_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out)
      else reject(new Error(`${script} ${args.join(' ')} exited with ${code ?? signal}`))
    })
  })
}

/**
 * Forks `bench/src/<script>` with an IPC channel (for the app servers). With BENCH_CPU_PROF=<dir>
 * set, the server writes a V8 CPU profile there when it exits (`node --cpu-prof`); read one with
 * `node --import tsx bench/src/tools/profile-summary.ts <file>`. BENCH_NODE_FLAGS adds Node flags to
 * the server (`BENCH_NODE_FLAGS=--trace-gc` shows scavenges that promote, the sign of a leak to old space).
 */
export function forkScript(
  script: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): ChildProcess {
  const profileDir = process.env.BENCH_CPU_PROF
  return fork(join(BENCH_DIR, 'src', script), [...args], {
    cwd: BENCH_DIR,
    execArgv: profileDir
      ? [...TS_FLAGS, ...nodeFlags, ...extraFlags(), '--cpu-prof', `--cpu-prof-dir=${profileDir}`]
      : [...TS_FLAGS, ...nodeFlags, ...extraFlags()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: process.env,
  })
}

/** Waits for the first IPC message of `type` (an `error` message or an exit rejects). */
export function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: string,
  timeoutMs = 300_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "${type}" message within ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (message: { type: string; message?: string }) => {
      if (message.type === type) done(undefined, message as T)
      else if (message.type === 'error') done(new Error(`server: ${message.message}`))
    }
    const onExit = (code: number | null) => done(new Error(`server exited (${code}) while waiting for "${type}"`))
    function done(error?: Error, value?: T) {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve(value as T)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/** BENCH_NODE_FLAGS, split on spaces: profiling flags for the forked servers. */
function extraFlags(): string[] {
  return (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)
}
