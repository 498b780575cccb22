import { expect } from 'vitest'

/** One request of the traffic, as the client saw it. Times are `performance.now()` milliseconds. */
export interface Sample {
  readonly client: number
  readonly kind: 'login' | 'refresh'
  readonly start: number
  readonly end: number
  /** The HTTP status; -1 when the client gave up waiting (a hang) or the connection failed. */
  readonly status: number
  readonly retryAfter: string | null
  readonly error: string | undefined
}

/** What one client holds: the refresh token of its last 200, and every refresh token a 200 gave it. */
export interface TrafficClient {
  token: string | undefined
  readonly received: string[]
  relogins: number
}

const CLIENT_TIMEOUT = 5_000
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Refresh traffic against one app: each client logs in, then refreshes in a loop. On a 503 it
 * retries the same token shortly after (what a real client does after an outage); on
 * `invalid_grant` it logs in again (a clean re-login).
 */
export class Traffic {
  readonly samples: Sample[] = []
  readonly clients: TrafficClient[]
  #running = false
  #loops: Promise<void>[] = []

  constructor(
    readonly url: string,
    count: number,
    readonly paceMs = 20,
  ) {
    this.clients = Array.from({ length: count }, () => ({ token: undefined, received: [], relogins: 0 }))
  }

  start(): void {
    this.#running = true
    this.#loops = this.clients.map((client, i) => this.#loop(client, i))
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
  }

  async #loop(client: TrafficClient, index: number): Promise<void> {
    while (this.#running) {
      if (client.token === undefined) {
        const reply = await this.#send(index, 'login', '/login', { username: `user-${index}` })
        if (reply.status === 200 && typeof reply.json?.refresh_token === 'string') {
          client.token = reply.json.refresh_token
          client.received.push(client.token)
        }
      } else {
        const reply = await this.#send(index, 'refresh', '/auth/refresh', { refresh_token: client.token })
        if (reply.status === 200 && typeof reply.json?.refresh_token === 'string') {
          client.token = reply.json.refresh_token
          client.received.push(client.token)
        } else if (reply.status === 400 && reply.json?.error === 'invalid_grant') {
          client.token = undefined
          client.relogins++
        }
      }
      await sleep(this.paceMs)
    }
  }

  async #send(client: number, kind: Sample['kind'], path: string, body: unknown) {
    const start = performance.now()
    try {
      const response = await fetch(this.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': `traffic-client-${client}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT),
      })
      const text = await response.text()
      let json: Record<string, unknown> | undefined
      try {
        json = JSON.parse(text) as Record<string, unknown>
      } catch {
        json = undefined
      }
      this.samples.push({
        client,
        kind,
        start,
        end: performance.now(),
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        error: typeof json?.error === 'string' ? json.error : undefined,
      })
      return { status: response.status, json }
    } catch (error) {
      this.samples.push({
        client,
        kind,
        start,
        end: performance.now(),
        status: -1,
        retryAfter: null,
        error: String(error),
      })
      return { status: -1, json: undefined }
    }
  }

  /** The first sample matching `when` (in start order), or undefined. */
  first(when: (s: Sample) => boolean): Sample | undefined {
    return [...this.samples].sort((a, b) => a.start - b.start).find(when)
  }

  /** Waits until a sample matches `when`, at most `timeoutMs`. */
  async waitFor(when: (s: Sample) => boolean, timeoutMs: number, what: string): Promise<Sample> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const found = this.first(when)
      if (found !== undefined) return found
      if (performance.now() > deadline) throw new Error(`traffic: no ${what} within ${timeoutMs} ms`)
      await sleep(20)
    }
  }
}

/** The floor for every sample of a restart: an answer (never a hang), never a 5xx but 503, and every 503 with Retry-After. */
export function expectHealthy(traffic: Traffic): void {
  for (const s of traffic.samples) {
    expect(s.status, `client ${s.client} ${s.kind}: ${s.error}`).not.toBe(-1)
    if (s.status >= 500) {
      expect(s.status, `client ${s.client} ${s.kind}: ${s.error}`).toBe(503)
      expect(s.retryAfter, '503 without Retry-After').toMatch(/^\d+$/)
      expect(s.error).toBe('temporarily_unavailable')
    }
  }
}

/** Round to whole milliseconds for printing. */
export const ms = (value: number) => `${Math.round(value)} ms`
