// What a command reads and writes, and how it ends: the exit codes docs/cli.md documents.
import { readFileSync } from 'node:fs'

/** 0 ok; 1 refused or invalid (a token that does not verify, a failed check); 2 usage; 3 store or feed unavailable. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** The process around a command: tests and `main` pass the real one. */
export interface Io {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean }
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean }
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Reads all of standard input. */
  readStdin(): Promise<string>
}

/** A wrong command line: exit 2 with the message and a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** A command's answer: what `--json` prints, and the lines a person reads. */
export interface Answer {
  readonly code: ExitCode
  readonly json: unknown
  readonly text: string
}

export function answer(json: unknown, text: string, code: ExitCode = EXIT.ok): Answer {
  return { code, json, text }
}

/**
 * A secret or a token the user gives: `-` reads standard input, `file:PATH` (or the command's
 * `--…-file` option) a file, `env:NAME` an environment variable; anything else is the value
 * itself, accepted with a warning, since a command line lands in shell history and `ps`.
 */
export async function readSecret(io: Io, value: string, what: string): Promise<string> {
  if (value === '-') return (await io.readStdin()).trim()
  if (value.startsWith('file:')) return readFile(value.slice(5), what)
  if (value.startsWith('env:')) {
    const name = value.slice(4)
    const found = io.env[name]
    if (found === undefined || found === '')
      throw new UsageError(`${what}: the environment variable ${name} is not set`)
    return found.trim()
  }
  io.stderr.write(
    `warning: the ${what} was given on the command line, where shell history and ps can read it; use - (standard input), file:PATH or env:NAME\n`,
  )
  return value
}

export function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/** "3 minutes ago", "in 12 minutes": a time relative to now, in words. */
export function inWords(at: number, now: number): string {
  const delta = at - now
  const abs = Math.abs(delta)
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ]
  for (const [ms, unit] of units) {
    if (abs >= ms || unit === 'second') {
      const n = Math.round(abs / ms)
      const words = `${n} ${unit}${n === 1 ? '' : 's'}`
      return delta < 0 ? `${words} ago` : `in ${words}`
    }
  }
  return 'now'
}

/** An epoch-seconds claim as ISO time and words. */
export function when(seconds: unknown, now: number): string | null {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return null
  const at = seconds * 1000
  return `${new Date(at).toISOString()} (${inWords(at, now)})`
}
