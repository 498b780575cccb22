#!/usr/bin/env node
// Keeps the structure of DESIGN.md true, by reading the import graph (no build needed):
//
// 1. Inside @auth/core, imports point one way, down the layers below. A module may import its own
//    folder and any lower layer; a layer's folders do not import each other unless listed in
//    SIDEWAYS. Type-only imports count too: a type is part of the layer that defines it.
// 2. No import cycle between core's files.
// 3. No package reaches into another by relative path (`../../storage-memory/src/...`): packages
//    use each other by name, through their exports.
//
//   node scripts/check-layers.mjs        (run by `npm run check` and by .ci/run)
//
// Exits 1 with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const coreSrc = join(root, 'packages', 'core', 'src')

/**
 * Core's layers, bottom first. DESIGN.md: http -> engine -> {machine, tokens, revocation, verifier}
 * -> {keys, policy} -> {events, errors, runtime}. Two refinements the code needs: `machine` sits
 * below tokens/revocation/verifier (they use its lifetime rules; it uses none of them), and
 * `events` sits just above `machine`, since an event names a revocation reason, a machine value.
 */
const LAYERS = [
  ['runtime.ts', 'errors'],
  ['policy', 'keys'],
  ['machine'],
  ['events'],
  ['tokens', 'revocation', 'verifier'],
  ['engine'],
  ['http'],
  ['testing', 'otel'],
  ['index.ts'],
]
/** Same-layer imports that are allowed: [from, to]. */
const SIDEWAYS = [
  ['verifier', 'tokens'],
  ['verifier', 'revocation'],
]

const rank = new Map(LAYERS.flatMap((names, i) => names.map((name) => [name, i])))

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
  const specs = []
  for (const m of text.matchAll(IMPORT)) specs.push(m[1] ?? m[2])
  return specs
}

/** The top-level unit of core a file belongs to: its folder under src/, or the file itself. */
function unitOf(file) {
  const [first] = relative(coreSrc, file).split(sep)
  return first
}

function resolveRelative(from, spec) {
  const target = resolve(dirname(from), spec)
  for (const candidate of [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return undefined
}

const problems = []
const isTest = (file) => /\.(test|test-d|bench)\.ts$/.test(file)

// 1 and 2: core's layers and cycles.
const coreFiles = walk(coreSrc)
const graph = new Map()
for (const file of coreFiles) {
  const edges = []
  for (const spec of importsOf(file)) {
    if (!spec.startsWith('.')) continue
    const target = resolveRelative(file, spec)
    if (target === undefined) {
      problems.push(`${relative(root, file)}: cannot resolve ${spec}`)
      continue
    }
    edges.push(target)
    if (isTest(file)) continue
    const from = unitOf(file)
    const to = unitOf(target)
    if (from === to) continue
    const rf = rank.get(from)
    const rt = rank.get(to)
    if (rf === undefined || rt === undefined) {
      problems.push(`${relative(root, file)}: ${from === undefined ? from : to} is not in a layer (add it to LAYERS)`)
      continue
    }
    const sideways = rf === rt && SIDEWAYS.some(([a, b]) => a === from && b === to)
    if (rt > rf || (rt === rf && !sideways)) {
      problems.push(`${relative(root, file)}: ${from} imports ${to} (${spec}), against the layer order`)
    }
  }
  graph.set(file, edges)
}
const state = new Map()
const stack = []
function visit(file) {
  state.set(file, 'open')
  stack.push(file)
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 'open') {
      const cycle = stack.slice(stack.indexOf(next)).concat(next)
      problems.push(`import cycle: ${cycle.map((f) => relative(coreSrc, f)).join(' -> ')}`)
    } else if (!state.has(next)) visit(next)
  }
  stack.pop()
  state.set(file, 'done')
}
for (const file of coreFiles) if (!state.has(file)) visit(file)

// 3: no relative import across packages (packages/*, examples/*, bench).
const units = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p)),
  ...readdirSync(join(root, 'examples')).map((p) => join(root, 'examples', p)),
  join(root, 'bench'),
].filter((dir) => statSync(dir).isDirectory())
for (const unit of units) {
  for (const file of walk(unit)) {
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec)
      if (!target.startsWith(unit + sep)) {
        problems.push(
          `${relative(root, file)}: reaches outside its package by relative path (${spec}); import it by name`,
        )
      }
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-layers: ${p}`)
  console.error(`check-layers: ${problems.length} problem(s)`)
  process.exit(1)
}
console.log(
  `check-layers: ${coreFiles.length} core files in ${LAYERS.length} layers, no cycle; no package reaches into another`,
)
