#!/usr/bin/env node
// Runs a workspace script on a supported toolchain, whatever this machine ships.
//
//   node scripts/bootstrap.mjs <script> [args…]      (what `npm test` / `npm run demo` call)
//
// 1. Node: the workspace needs Node 22 or 24. If the running Node is older, Node 24 is
//    installed from the npm registry (the `node-<platform>-<arch>` package) into .tools/.
// 2. pnpm: the version pinned in package.json#packageManager is installed into .tools/
//    (corepack is not required: its signature check fails on some registries).
// 3. `pnpm install --frozen-lockfile` runs when node_modules is missing or the lockfile changed.
// 4. `pnpm run <script> [args…]` runs with that Node first on the PATH.
// It needs nothing but Node >= 18 and npm, and it only ever talks to the npm registry.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tools = join(root, '.tools')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const pnpmVersion = String(pkg.packageManager)
  .replace(/^pnpm@/, '')
  .split('+')[0]
const NODE_MAJOR = 24

function log(msg) {
  process.stderr.write(`\x1b[2m[bootstrap] ${msg}\x1b[0m\n`)
}

function npmInstall(spec) {
  mkdirSync(tools, { recursive: true })
  if (!existsSync(join(tools, 'package.json'))) writeFileSync(join(tools, 'package.json'), '{"private":true}\n')
  log(`installing ${spec} into .tools/`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  execFileSync(npm, ['install', '--prefix', tools, '--no-audit', '--no-fund', '--loglevel=error', spec], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

function resolveNode() {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= 22) return { binDir: dirname(process.execPath), nodeDir: undefined }
  const name = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
  const dir = join(tools, 'node_modules', name)
  const bin = join(dir, 'bin', 'node')
  const ok =
    existsSync(bin) && spawnSync(bin, ['-p', 'process.versions.node']).stdout?.toString().startsWith(`${NODE_MAJOR}.`)
  if (!ok) {
    log(`Node ${process.versions.node} is too old for this workspace (needs 22 or 24); fetching Node ${NODE_MAJOR}`)
    npmInstall(`${name}@${NODE_MAJOR}`)
  }
  return { binDir: join(dir, 'bin'), nodeDir: dir }
}

function resolvePnpm() {
  const cli = join(tools, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')
  const installed =
    existsSync(cli) && JSON.parse(readFileSync(join(tools, 'node_modules', 'pnpm', 'package.json'), 'utf8')).version
  if (installed !== pnpmVersion) npmInstall(`pnpm@${pnpmVersion}`)
  return cli
}

const { binDir, nodeDir } = resolveNode()
const pnpm = resolvePnpm()
// .tools/node_modules/.bin puts the pinned pnpm on the PATH too: workspace scripts call `pnpm …` themselves.
const env = {
  ...process.env,
  PATH: [binDir, join(tools, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
}
// Native addons (better-sqlite3) must build against the Node that will load them.
if (nodeDir) env.npm_config_nodedir = nodeDir
const node = join(binDir, process.platform === 'win32' ? 'node.exe' : 'node')

function run(args) {
  const r = spawnSync(node, [pnpm, ...args], { cwd: root, env, stdio: 'inherit' })
  if (r.error) throw r.error
  return r.status ?? 1
}

const lockfile = join(root, 'pnpm-lock.yaml')
const stamp = join(root, 'node_modules', '.bootstrap-stamp')
const want = createHash('sha256')
  .update(existsSync(lockfile) ? readFileSync(lockfile) : '')
  .update(process.versions.node)
  .update(node)
  .digest('hex')
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
  log('installing workspace dependencies')
  const status = run(['install', ...(existsSync(lockfile) ? ['--frozen-lockfile'] : [])])
  if (status !== 0) process.exit(status)
  writeFileSync(stamp, want)
}

const [script, ...rest] = process.argv.slice(2)
if (!script) {
  log('usage: node scripts/bootstrap.mjs <script> [args…]')
  process.exit(2)
}
process.exit(run(['run', script, ...rest]))
