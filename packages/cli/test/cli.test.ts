// The `auth` command line (issue 16), run as a subprocess the way an operator runs it: the CLI
// built by tsc (into .test-work/dist), on plain node, against real Redis, PostgreSQL, MariaDB and
// SQLite. Its own dependencies come from the workspace sources (the @auth/source condition, tsx
// for their TypeScript); the newcomer test runs the packed binary on built packages.
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createEngine, createRevokedFamilies, type Engine } from '@auth/core'
import { createTestStore, serviceUrl } from '@auth/core/testing'
import { createVerifier } from '@auth/core/verifier'
import { createRedisRevocationFeed, createRedisStore } from '@auth/storage-redis'
import { createPostgresRevocationFeed, createSqlStore } from '@auth/storage-sql'
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..')
const WORK = join(PACKAGE, '.test-work')
const BIN = join(WORK, 'dist', 'bin.js')
const TSX = join(PACKAGE, 'node_modules', 'tsx', 'dist', 'loader.mjs')

const redisUrl = serviceUrl('REDIS_URL', 'auth CLI on Redis')
const postgresUrl = serviceUrl('DATABASE_URL', 'auth CLI on PostgreSQL')
const mysqlUrl = serviceUrl('MYSQL_URL', 'auth CLI on MariaDB')

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  json(): Record<string, unknown>
}

/** Runs `auth …args` in `cwd` with standard input `stdin`; never throws on a non-zero exit. */
function auth(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@auth/source', '--import', TSX, BIN, ...args], {
      cwd: WORK,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> }),
    )
    child.stdin.end(options.stdin ?? '')
  })
}

const SECRET = 'LPI9FnOBAzZPbnE76kaKVInYKHMVqrEX+fk3NqsHMK8='
const ENGINE = { issuer: 'https://auth.cli.test', audience: 'api', secret: SECRET }
const subject = (what: string) => `cli-${what}-${process.pid}-${Date.now()}`

beforeAll(async () => {
  rmSync(WORK, { recursive: true, force: true })
  mkdirSync(WORK, { recursive: true })
  // The CLI alone, built as its package builds it, into a folder of its own (no race with the
  // newcomer test's build of every package's dist). Emit only: its types are checked by the
  // workspace typecheck, and on a fresh clone the other packages' dist (their .d.ts) may not be
  // there yet, or be half-written by that build.
  await run(process.execPath, [
    join(PACKAGE, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(PACKAGE, 'tsconfig.build.json'),
    '--outDir',
    join(WORK, 'dist'),
    '--noCheck',
    '--declaration',
    'false',
    '--declarationMap',
    'false',
  ])
}, 120_000)
afterAll(() => rmSync(WORK, { recursive: true, force: true }))

describe('auth: conventions', () => {
  it('--help on every command; an unknown command or option is a usage error (exit 2)', async () => {
    const overview = await auth(['--help'])
    expect(overview.code).toBe(0)
    expect(overview.stdout).toMatch(/Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 store or feed unavailable/)
    for (const command of [
      ['keys', 'generate'],
      ['keys', 'secret'],
      ['token', 'inspect'],
      ['sessions', 'list'],
      ['sessions', 'revoke'],
      ['migrate'],
      ['check'],
    ]) {
      const help = await auth([...command, '--help'])
      expect(help.code, command.join(' ')).toBe(0)
      expect(help.stdout, command.join(' ')).toContain(`auth ${command.join(' ')}`)
    }
    expect((await auth(['frobnicate'])).code).toBe(2)
    const badOption = await auth(['keys', 'generate', '--colour', 'blue'])
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toMatch(/Unknown option '--colour'/)
    expect((await auth(['sessions', 'revoke', '--subject', 'x', '--store', 'redis://127.0.0.1:6379'])).stderr).toMatch(
      /needs the revocation feed/,
    )
  })
})

describe('auth keys', () => {
  it('generate makes EdDSA, ES256 and RS256 keys (PEM and JWK, mode 0600) that the engine signs with and the JWKS verifies', async () => {
    for (const [alg, format] of [
      ['EdDSA', 'pem'],
      ['ES256', 'jwk'],
      ['RS256', 'pem'],
    ] as const) {
      const kid = `cli-${alg.toLowerCase()}`
      const made = await auth(['keys', 'generate', '--alg', alg, '--kid', kid, '--format', format, '--json'])
      expect(made.code, made.stderr).toBe(0)
      const { privateKey, jwks } = made.json() as { privateKey: string; jwks: string }
      expect(statSync(privateKey).mode & 0o777).toBe(0o600)
      expect(statSync(jwks).mode & 0o777).toBe(0o600)
      const text = readFileSync(privateKey, 'utf8')
      const refresh = await auth(['keys', 'secret', '--json'])
      const engine = createEngine({
        store: createTestStore(),
        issuer: ENGINE.issuer,
        audience: 'api',
        keys: {
          signing: [{ kid, alg, privateKey: format === 'pem' ? text : JSON.parse(text) }],
          refresh: [{ kid: 'r1', secret: Buffer.from(refresh.json().secret as string, 'base64') }],
        },
      })
      const login = await engine.issue('alice')
      const verifier = createVerifier({
        issuer: ENGINE.issuer,
        audience: 'api',
        jwks: JSON.parse(readFileSync(jwks, 'utf8')),
      })
      expect(await verifier.verifyAccess(login.accessToken), alg).toMatchObject({ ok: true, claims: { sub: 'alice' } })
      // The JWKS holds the public key only.
      expect(JSON.parse(readFileSync(jwks, 'utf8')).keys[0]).not.toHaveProperty('d')
    }
    const again = await auth(['keys', 'generate', '--kid', 'cli-eddsa'])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/exists; choose another --out, or pass --force/)
    expect((await auth(['keys', 'generate', '--kid', 'cli-eddsa', '--force'])).code).toBe(0)
  })

  it('secret: 32 random bytes in each encoding the engine takes, printed or written 0600', async () => {
    for (const encoding of ['base64', 'base64url', 'hex']) {
      const made = await auth(['keys', 'secret', '--encoding', encoding])
      expect(made.code).toBe(0)
      const value = made.stdout.trim()
      expect(() => createEngine({ store: createTestStore(), ...ENGINE, secret: value })).not.toThrow()
    }
    const written = await auth(['keys', 'secret', '--out', 'quickstart.key', '--json'])
    expect(written.json()).not.toHaveProperty('secret')
    expect(statSync(join(WORK, 'quickstart.key')).mode & 0o777).toBe(0o600)
  })
})

describe.skipIf(!redisUrl)('auth token inspect', () => {
  let engine: Engine
  let store: ReturnType<typeof createRedisStore>
  beforeAll(() => {
    store = createRedisStore({ url: redisUrl as string })
    engine = createEngine({ store, ...ENGINE, policy: { graceBinding: 'none' } })
  })
  afterAll(() => store.close())

  it('an access token from standard input: claims and times in words; with the secret, verified; tampered, exit 1 and its code', async () => {
    const login = await engine.issue(subject('inspect'), { claims: { role: 'admin' } })
    const shown = await auth(['token', 'inspect', '-'], { stdin: login.accessToken })
    expect(shown.code).toBe(0)
    expect(shown.stderr).toBe('') // read from stdin: no warning
    expect(shown.stdout).toMatch(/"role":"admin"/)
    expect(shown.stdout).toMatch(/exp +\S+ \(in 1[45] minutes\)/)
    expect(shown.stdout).toMatch(/not verified/)
    const verified = await auth(['token', 'inspect', 'env:TOKEN', '--secret', 'env:SECRET', '--json'], {
      env: { TOKEN: login.accessToken, SECRET },
    })
    expect(verified.code).toBe(0)
    expect(verified.json()).toMatchObject({ kind: 'access', verified: { ok: true }, claims: { role: 'admin' } })
    const parts = login.accessToken.split('.')
    const forged = `${parts[0]}.${Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url')}.${parts[2]}`
    const refused = await auth(
      ['token', 'inspect', '-', '--secret', 'env:SECRET', '--issuer', ENGINE.issuer, '--audience', 'api'],
      {
        stdin: forged,
        env: { SECRET },
      },
    )
    expect(refused.code).toBe(1)
    expect(refused.stdout).toMatch(/verified: no, ERR_ACCESS_TOKEN_INVALID/)
    // On the command line it works, with a warning.
    const literal = await auth(['token', 'inspect', login.accessToken])
    expect(literal.code).toBe(0)
    expect(literal.stderr).toMatch(/shell history and ps/)
  })

  it('a refresh token: format, key id, family, generation and the family state, never the MAC', async () => {
    const login = await engine.issue(subject('inspect-refresh'))
    const rotated = await engine.refresh(login.refreshToken)
    if (!rotated.ok) throw new Error(rotated.message)
    const mac = login.refreshToken.slice(-43)
    const shown = await auth(['token', 'inspect', '-', '--store', redisUrl as string], { stdin: login.refreshToken })
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain(`family     ${login.familyId}`)
    expect(shown.stdout).toMatch(/generation 0\n/)
    expect(shown.stdout).toMatch(/state {6}active/)
    expect(shown.stdout).toMatch(/generation retired: the family is at 1/)
    expect(shown.stdout + shown.stderr).not.toContain(mac)
    const json = await auth(['token', 'inspect', '-', '--json'], {
      stdin: rotated.pair.refreshToken,
      env: { AUTH_STORE_URL: redisUrl as string },
    })
    expect(json.json()).toMatchObject({
      kind: 'refresh',
      familyId: login.familyId,
      generation: 1,
      family: { status: 'active', generation: 1 },
    })
    expect(json.stdout).not.toContain(rotated.pair.refreshToken.slice(-43))
  })
})

/** One store of each kind, with an engine in this process writing families the CLI then reads and revokes. */
const STORES = [
  { name: 'redis', url: redisUrl, feed: redisUrl, names: [] },
  { name: 'postgres', url: postgresUrl, feed: postgresUrl, names: [] },
  // MariaDB has no feed driver: its revocations go out on the Redis feed.
  { name: 'mariadb', url: mysqlUrl, feed: redisUrl, names: [] },
  // A table of the app's own name, as the example apps have.
  { name: 'sqlite', url: `sqlite:${join(WORK, 'auth.db')}`, feed: redisUrl, names: ['--table', 'cli_families'] },
] as const

for (const kind of STORES) {
  describe.skipIf(!kind.url || !kind.feed)(`auth sessions, migrate, check on ${kind.name}`, () => {
    const url = kind.url as string
    let engine: Engine
    let close: () => Promise<void>
    beforeAll(async () => {
      if (kind.name === 'redis') {
        const store = createRedisStore({ url })
        engine = createEngine({ store, ...ENGINE })
        close = () => store.close()
        return
      }
      // The CLI's migrate makes the tables this process then uses.
      const migrated = await auth(['migrate', '--store', url, ...kind.names, '--json'])
      expect(migrated.code, migrated.stderr).toBe(0)
      const db =
        kind.name === 'postgres'
          ? new Kysely<unknown>({
              dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
            })
          : kind.name === 'mariadb'
            ? new Kysely<unknown>({ dialect: new MysqlDialect({ pool: createPool({ uri: url, connectionLimit: 2 }) }) })
            : new Kysely<unknown>({
                dialect: new SqliteDialect({ database: new Database(url.slice('sqlite:'.length)) }),
              })
      const dialect = kind.name === 'postgres' ? 'postgres' : kind.name === 'mariadb' ? 'mysql' : 'sqlite'
      const table = kind.names.length === 0 ? {} : { table: kind.names[1] as string }
      engine = createEngine({ store: createSqlStore({ db, dialect, ...table }), ...ENGINE })
      close = () => db.destroy()
    }, 60_000)
    afterAll(() => close?.())

    it('check passes; list shows the sessions; revoke --subject ends them all and every node hears it on the feed', async () => {
      const checked = await auth(['check', '--store', url, ...kind.names])
      expect(checked.code, checked.stderr).toBe(0)
      expect(checked.stdout).toMatch(/^ok: the clock, the keys and the store/)

      const who = subject(kind.name)
      const families = await Promise.all([1, 2, 3].map(() => engine.issue(who, { meta: { userAgent: 'Phone/1' } })))
      const listed = await auth(['sessions', 'list', '--subject', who, '--store', url, ...kind.names, '--json'])
      expect(listed.code, listed.stderr).toBe(0)
      const sessions = (listed.json().sessions as { id: string; userAgent: string }[]).map((s) => s.id).sort()
      expect(sessions).toEqual(families.map((f) => f.familyId).sort())

      // A node listening on the feed, as every resource server and app node does.
      const feed =
        kind.feed === postgresUrl
          ? createPostgresRevocationFeed({ connectionString: kind.feed as string })
          : createRedisRevocationFeed({ url: kind.feed as string })
      if ('migrate' in feed) await feed.migrate()
      const node = createRevokedFamilies({ feed })
      await node.ready()
      try {
        const revoked = await auth([
          'sessions',
          'revoke',
          '--subject',
          who,
          '--store',
          url,
          ...kind.names,
          '--feed',
          kind.feed as string,
          '--json',
        ])
        expect(revoked.code, revoked.stderr).toBe(0)
        expect(revoked.json()).toEqual({ revoked: 3, published: 3 })
        expect(revoked.stderr).toMatch(/revoking every session of/)
        const deadline = Date.now() + 2000
        while (families.some((f) => node.check(f.familyId, Date.now()) !== 'revoked') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20))
        }
        for (const f of families) expect(node.check(f.familyId, Date.now())).toBe('revoked')
        expect(await engine.list(who)).toEqual([])
        const refresh = await engine.refresh(families[0]?.refreshToken as string, { binding: 'Phone/1' })
        expect(refresh).toMatchObject({ ok: false, code: 'ERR_REFRESH_TOKEN_REVOKED', revocationReason: 'admin' })
      } finally {
        await node.close()
        await (feed as { close(): Promise<void> }).close()
      }

      // One family by id; an unknown id is refused (exit 1).
      const one = await engine.issue(who)
      const single = await auth([
        'sessions',
        'revoke',
        '--family',
        one.familyId,
        '--store',
        url,
        ...kind.names,
        '--feed',
        kind.feed as string,
      ])
      expect(single.code, single.stderr).toBe(0)
      expect(single.stdout).toMatch(/revoked 1 session; published/)
      const unknown = await auth([
        'sessions',
        'revoke',
        '--family',
        'no-such-family',
        '--store',
        url,
        ...kind.names,
        '--feed',
        kind.feed as string,
      ])
      expect(unknown.code).toBe(1)
    })
  })
}

describe.skipIf(!redisUrl)('auth: failures', () => {
  it('an unreachable store is exit 3; an unmigrated SQLite store fails check with the fix (exit 1); a bad URL is usage', async () => {
    const down = await auth(['check', '--store', 'redis://127.0.0.1:1'])
    expect(down.code).toBe(3)
    const pgDown = await auth(['sessions', 'list', '--subject', 'x', '--store', 'postgres://postgres@127.0.0.1:1/test'])
    expect(pgDown.code).toBe(3)
    const fresh = await auth(['check', '--store', `sqlite:${join(WORK, 'empty.db')}`])
    expect(fresh.code).toBe(1)
    expect(fresh.stderr).toMatch(/run migrate/)
    expect((await auth(['check', '--store', 'mongodb://x'])).code).toBe(2)
    expect((await auth(['check'])).stderr).toMatch(/name the store/)
  })

  it("--config: the app's own engine options and feed, from a module", async () => {
    const config = join(WORK, 'auth.config.mjs')
    writeFileSync(
      config,
      `import { createRedisStore, createRedisRevocationFeed } from '@auth/storage-redis'
export const engineOptions = {
  store: createRedisStore({ url: ${JSON.stringify(redisUrl)} }),
  issuer: ${JSON.stringify(ENGINE.issuer)}, audience: 'api', secret: ${JSON.stringify(SECRET)},
  policy: { accessTtl: '10m' },
}
export const revocationFeed = createRedisRevocationFeed({ url: ${JSON.stringify(redisUrl)} })
`,
    )
    const store = createRedisStore({ url: redisUrl as string })
    const engine = createEngine({ store, ...ENGINE })
    try {
      const who = subject('config')
      await engine.issue(who)
      expect((await auth(['check', '--config', config])).code).toBe(0)
      const revoked = await auth(['sessions', 'revoke', '--subject', who, '--json'], { env: { AUTH_CONFIG: config } })
      expect(revoked.code, revoked.stderr).toBe(0)
      expect(revoked.json()).toEqual({ revoked: 1, published: 1 })
    } finally {
      await store.close()
    }
  })
})
