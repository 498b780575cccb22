// Summarises a V8 .cpuprofile: self time by function and by package, heaviest first.
//   node --import tsx bench/src/tools/profile-summary.ts <file.cpuprofile> [top=25] [--last <s>] [--callers <fn>]
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}

const file = process.argv[2]
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
const top = Number(process.argv[3] ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
// --last <seconds>: only the samples of the profile's final seconds (e.g. the last phase of a run).
const lastIndex = process.argv.indexOf('--last')
const lastMicros = lastIndex >= 0 ? Number(process.argv[lastIndex + 1]) * 1e6 : Number.POSITIVE_INFINITY
const totalMicros = profile.timeDeltas.reduce((a, b) => a + b, 0)
const self = new Map<number, number>()
let clock = 0
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number
  clock += profile.timeDeltas[i] ?? 0
  if (clock < totalMicros - lastMicros) continue
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}
const total = [...self.values()].reduce((a, b) => a + b, 0)

function where(url: string): string {
  if (!url) return '(native/V8)'
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1] as string
  const p = /\/packages\/([^/]+)\//.exec(url)
  if (p) return `@auth/${p[1]}`
  if (url.startsWith('node:')) return url
  if (url.includes('/bench/')) return 'bench'
  return url
}

const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
for (const [id, t] of self) {
  const n = byId.get(id)
  if (!n) continue
  const { functionName, url, lineNumber } = n.callFrame
  const key = `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}` : ''}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + t)
  const pkg = functionName === '(garbage collector)' ? '(gc)' : functionName === '(idle)' ? '(idle)' : where(url)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t)
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n\nself time by package:`)
for (const [k, t] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`)
console.log('\nself time by function:')
for (const [k, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`)

// --callers <functionName>: where the self time of that function comes from (3 frames up).
const callersOf = process.argv.indexOf('--callers')
if (callersOf >= 0) {
  const name = process.argv[callersOf + 1]
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const stacks = new Map<string, number>()
  for (const [id, t] of self) {
    if (byId.get(id)?.callFrame.functionName !== name) continue
    const chain: string[] = []
    let p = parent.get(id)
    for (let depth = 0; depth < 12 && p !== undefined; depth++) {
      const f = byId.get(p)?.callFrame
      chain.push(`${f?.functionName || '(anon)'}@${where(f?.url ?? '')}:${(f?.lineNumber ?? 0) + 1}`)
      p = parent.get(p)
    }
    const key = chain.join(' < ')
    stacks.set(key, (stacks.get(key) ?? 0) + t)
  }
  console.log(`\ncallers of ${name}:`)
  for (const [k, t] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${pct(t)}  ${k}`)
}
