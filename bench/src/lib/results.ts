import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** bench/ */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Where each section leaves its JSON for the report. */
export const RESULTS_DIR = join(BENCH_DIR, 'results')

/** The mode a section runs in: `quick` is a subset with short runs. */
export type Mode = 'quick' | 'full'

export function modeFromArgv(argv: readonly string[] = process.argv): Mode {
  return argv.includes('--quick') ? 'quick' : 'full'
}

/** Writes a section's JSON (one file per section and mode, so a quick run never overwrites a full one). */
export function writeResult(section: string, data: unknown, mode: Mode = modeFromArgv()): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${section}-${mode}.json`)
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`)
  return file
}

export function readResult<T>(section: string, mode: Mode = modeFromArgv()): T | undefined {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${section}-${mode}.json`), 'utf8')) as T
  } catch {
    return undefined
  }
}

/** Prints a progress line on stderr (stdout stays clean for tables). */
export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}
