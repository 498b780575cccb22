import { styleText } from 'node:util'

type Style = Parameters<typeof styleText>[0]

/** Where the timeline goes, and whether it may use ANSI colours. */
export interface TimelineOptions {
  readonly write: (line: string) => void
  readonly color: boolean
  /** Epoch ms that +0.0 s refers to. Default: now. */
  readonly start?: number
}

/**
 * Colours on for a terminal, off when stdout is not a TTY or `NO_COLOR` is set (any value);
 * `FORCE_COLOR` (non-zero) forces them on.
 */
export function colorWanted(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true
  if (process.env.NO_COLOR !== undefined) return false
  return stream.isTTY === true
}

/** The printed timeline: numbered steps, client requests and responses, and the server's events. */
export class Timeline {
  readonly #write: (line: string) => void
  readonly #color: boolean
  readonly #start: number
  #step = 0

  constructor(options: TimelineOptions) {
    this.#write = options.write
    this.#color = options.color
    this.#start = options.start ?? Date.now()
  }

  /** Applies `style` when colours are on. */
  paint(style: Style, text: string): string {
    return this.#color ? styleText(style, text, { validateStream: false }) : text
  }

  /** Seconds since the start, `+3.0s`. */
  stamp(): string {
    return `+${((Date.now() - this.#start) / 1000).toFixed(1)}s`
  }

  title(text: string): void {
    this.#write(this.paint('bold', text))
  }

  step(text: string): void {
    this.#step++
    this.#write('')
    this.#write(`${this.paint(['bold', 'cyan'], `${this.#step}. ${text}`)} ${this.paint('dim', this.stamp())}`)
  }

  request(method: string, path: string, detail = ''): void {
    this.#write(`   ${this.paint('blue', '→')} ${method} ${path}${detail ? this.paint('dim', `  ${detail}`) : ''}`)
  }

  response(status: number, detail: string): void {
    const style: Style = status < 300 ? 'green' : status < 500 ? 'yellow' : 'red'
    this.#write(`   ${this.paint(style, `← ${status}`)} ${detail}`)
  }

  event(text: string, alert = false): void {
    this.#write(`   ${this.paint(alert ? ['bold', 'red'] : 'magenta', `⚡ server event: ${text}`)}`)
  }

  say(text: string): void {
    this.#write(`   ${text}`)
  }

  note(text: string): void {
    this.#write(`   ${this.paint('dim', text)}`)
  }

  /** A checked expectation: green tick, or a red cross (the demo then exits 1). */
  check(ok: boolean, text: string): boolean {
    this.#write(`   ${ok ? this.paint('green', '✓') : this.paint(['bold', 'red'], '✗ unexpected:')} ${text}`)
    return ok
  }

  blank(): void {
    this.#write('')
  }
}
