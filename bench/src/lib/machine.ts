import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg, totalmem } from 'node:os'
import { STORE_KINDS, serverVersion } from './stores.js'

export interface MachineNote {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly node: string
  readonly servers: string[]
  readonly date: string
}

export function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

export async function machineNote(): Promise<MachineNote> {
  const servers: string[] = []
  for (const kind of STORE_KINDS) {
    try {
      const v = await serverVersion(kind)
      if (v) servers.push(v)
    } catch (error) {
      servers.push(`${kind}: version unavailable (${String((error as Error).message ?? error)})`)
    }
  }
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    servers,
    date: new Date().toISOString(),
  }
}

/** The 1-minute load average: above the core count, other processes were competing. */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100
}

let speedKey: KeyObject | undefined

/**
 * The host's speed for code that is not ours: node:crypto Ed25519 signatures per second over
 * `ms` of a fixed 300-byte message. On this shared VM it moves by a third or more between hours
 * while the load average stays low; each section records it before and after, so a page's tables
 * can be compared with one another's host.
 */
export function hostSpeed(ms = 300): number {
  speedKey ??= generateKeyPairSync('ed25519').privateKey
  const data = Buffer.alloc(300, 7)
  const started = performance.now()
  let n = 0
  while (performance.now() - started < ms) {
    sign(null, data, speedKey)
    n++
  }
  return Math.round((n * 1000) / (performance.now() - started))
}
