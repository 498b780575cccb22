// `pnpm bench` (full: regenerates docs/benchmarks.md) and `pnpm bench:quick` (a subset, printed).
//   --full | --quick          which mode (default full)
//   --only micro,engine,…     run only these sections; the report reuses the last results of the others
//   --render                  run nothing; rebuild the page from the last results
// Each section runs in its own child process; a section that fails makes the run exit non-zero
// (numbers never do).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runScript } from './lib/child.js'
import { hostSpeed, load1, machineNote } from './lib/machine.js'
import { type RunMeta, renderReport, type SectionMeta } from './lib/report.js'
import { BENCH_DIR, modeFromArgv, note, readResult, writeResult } from './lib/results.js'

interface Section {
  readonly id: string
  readonly script: string
  readonly args: readonly string[]
  readonly nodeFlags?: readonly string[]
  readonly quick: boolean
}

const SECTIONS: readonly Section[] = [
  { id: 'micro', script: 'sections/micro.ts', args: [], nodeFlags: ['--expose-gc'], quick: true },
  { id: 'engine', script: 'sections/engine.ts', args: [], quick: true },
  { id: 'http', script: 'sections/http.ts', args: [], quick: true },
  { id: 'scaling-rotations', script: 'sections/scaling.ts', args: ['--part', 'rotations'], quick: true },
  {
    id: 'scaling-memory',
    script: 'sections/scaling.ts',
    args: ['--part', 'memory'],
    nodeFlags: ['--expose-gc', '--max-old-space-size=4096'],
    quick: false,
  },
  { id: 'scaling-families', script: 'sections/scaling.ts', args: ['--part', 'families'], quick: false },
  { id: 'soak', script: 'sections/soak.ts', args: [], quick: false },
]

const mode = modeFromArgv()
const onlyIndex = process.argv.indexOf('--only')
const only = onlyIndex >= 0 ? new Set((process.argv[onlyIndex + 1] ?? '').split(',')) : undefined
// --render: no section runs; the page is rebuilt from the last results (after editing report.ts).
const renderOnly = process.argv.includes('--render')
const selected = renderOnly ? [] : SECTIONS.filter((s) => (only ? only.has(s.id) : mode === 'full' || s.quick))
if (only && !renderOnly && selected.length !== only.size) {
  console.error(`unknown section in --only; sections: ${SECTIONS.map((s) => s.id).join(', ')}`)
  process.exit(2)
}

const previous = readResult<RunMeta>('meta')
const sections: Record<string, SectionMeta> = { ...(previous?.sections ?? {}) }
const failures: string[] = []
const t0 = performance.now()
for (const section of selected) {
  note(`section ${section.id} (${mode}); load average ${load1()}`)
  const signsBefore = hostSpeed()
  const started = performance.now()
  const loadBefore = load1()
  try {
    const out = await runScript(section.script, [`--${mode}`, ...section.args], section.nodeFlags ?? [])
    if (out.trim()) process.stdout.write(out)
    sections[section.id] = {
      seconds: (performance.now() - started) / 1000,
      loadBefore,
      loadAfter: load1(),
      at: new Date().toISOString(),
      command: sectionCommand(section),
      signsBefore,
      signsAfter: hostSpeed(),
    }
  } catch (error) {
    failures.push(`${section.id}: ${(error as Error).message}`)
    note(`section ${section.id} FAILED: ${(error as Error).message}`)
  }
}

const meta: RunMeta = { mode, machine: renderOnly && previous ? previous.machine : await machineNote(), sections }
writeResult('meta', meta)
const report = renderReport(mode)
if (mode === 'full') {
  const file = join(BENCH_DIR, '..', 'docs', 'benchmarks.md')
  if (failures.length === 0) {
    writeFileSync(file, report)
    note(`wrote docs/benchmarks.md`)
  } else note('a section failed: docs/benchmarks.md left as it was')
} else {
  writeFileSync(join(BENCH_DIR, 'results', 'quick.md'), report)
  process.stdout.write(`\n${report}`)
}
note(`done in ${Math.round((performance.now() - t0) / 1000)} s`)
if (failures.length > 0) {
  console.error(`\nbench failed:\n  ${failures.join('\n  ')}`)
  process.exit(1)
}

function sectionCommand(section: Section): string {
  return `pnpm --filter @auth/bench bench${mode === 'quick' ? ':quick' : ''} --only ${section.id}`
}
