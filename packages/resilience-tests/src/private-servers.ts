import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a private test server). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Resolves once something accepts TCP connections on `port`, or throws after `timeoutMs`. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await sleep(25)
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
}

/** Why a private server cannot run here, or null when it can. */
export function redisUnavailable(): string | null {
  return findBinary('redis-server') === null ? 'redis-server is not installed' : null
}

function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }
  return null
}

/**
 * A private `redis-server` on its own port and data folder, without persistence (`--save ''
 * --appendonly no`), spawned in the foreground so the test can stop it; never the shared 6379.
 */
export class PrivateRedis {
  readonly port: number
  readonly dir: string
  #child: ChildProcess | undefined

  private constructor(port: number, dir: string) {
    this.port = port
    this.dir = dir
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'resilience-redis-')))
    await redis.start()
    return redis
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts the server (again) on the same port and folder. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    const child = spawn('redis-server', [...args, '--dir', this.dir], { stdio: 'ignore' })
    this.#child = child
    await waitForPort(this.port, 10_000)
  }

  /** Stops it (SIGTERM; without persistence nothing is saved) and waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    await exited
  }

  async destroy(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** The PostgreSQL binaries folder (the newest `/usr/lib/postgresql/<n>/bin`), or null. */
function postgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? null : join(root, versions[0], 'bin')
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

/** Why a private PostgreSQL cannot run here, or null when it can. */
export function postgresUnavailable(): string | null {
  if (postgresBin() === null) return 'no PostgreSQL binaries under /usr/lib/postgresql/*/bin'
  if (isRoot() && findBinary('runuser') === null) return 'running as root without runuser (initdb refuses root)'
  return null
}

/**
 * A private PostgreSQL cluster made by `initdb` in a temporary folder and run by `pg_ctl` on its
 * own port, with its socket in that folder; never the shared 5432. initdb refuses to run as root,
 * so as root every command runs as the `postgres` OS user (`runuser`), which owns the folder.
 */
export class PrivatePostgres {
  readonly port: number
  readonly dir: string
  readonly #bin: string

  private constructor(port: number, dir: string, bin: string) {
    this.port = port
    this.dir = dir
    this.#bin = bin
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBin()
    if (bin === null) throw new Error('no PostgreSQL binaries')
    const dir = mkdtempSync(join(tmpdir(), 'resilience-pg-'))
    if (isRoot()) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim())
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim())
      chownSync(dir, uid, gid)
    }
    const pg = new PrivatePostgres(await freePort(), dir, bin)
    await pg.#pg('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
    await pg.start()
    return pg
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  async #pg(tool: string, args: string[]): Promise<void> {
    const command = join(this.#bin, tool)
    const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]
    await run(file, argv, { cwd: this.dir, timeout: 60_000 })
  }

  /** `pg_ctl start` (waits until it accepts connections). */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`
    await this.#pg('pg_ctl', ['-D', join(this.dir, 'data'), '-o', options, '-l', join(this.dir, 'log'), '-w', 'start'])
    await waitForPort(this.port, 10_000)
  }

  /** `pg_ctl stop -m fast`: disconnects every client, rolls back open transactions, shuts down cleanly. */
  async stop(): Promise<void> {
    await this.#pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop'])
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
