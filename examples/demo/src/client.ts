import type { Timeline } from './timeline.js'

/** One answer, as the timeline shows it. */
export interface Reply {
  readonly status: number
  /** Parsed JSON body (null for none). */
  readonly body: Record<string, unknown> | null
  readonly headers: Headers
  /** The stable error code of a refusal (`code`, else `error`), or null. */
  readonly code: string | null
}

/**
 * The demo's scripted client: plain `fetch` in bearer mode, as a mobile app or a server would
 * call the API. `userAgent` names the device (the session list shows it, and the grace window
 * is bound to it by the default `graceBinding: 'user_agent'`).
 */
export class DemoClient {
  accessToken: string | null = null
  refreshToken: string | null = null

  constructor(
    readonly baseUrl: string,
    readonly userAgent: string,
    readonly timeline: Timeline,
  ) {}

  async send(method: string, path: string, options: { json?: unknown; bearer?: string | null; note?: string } = {}) {
    const headers: Record<string, string> = { 'user-agent': this.userAgent }
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`
    if (options.json !== undefined) headers['content-type'] = 'application/json'
    this.timeline.request(method, path, options.note ?? '')
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: options.json === undefined ? null : JSON.stringify(options.json),
    })
    const text = await response.text()
    let body: Record<string, unknown> | null = null
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : null
    } catch {
      body = { error: 'not_json', error_description: text.slice(0, 200) }
    }
    const code = typeof body?.code === 'string' ? body.code : typeof body?.error === 'string' ? body.error : null
    return { status: response.status, body, headers: response.headers, code } satisfies Reply
  }

  /** POST /login, keeping the pair. */
  async login(username: string): Promise<Reply> {
    const reply = await this.send('POST', '/login', {
      json: { username },
      note: `as ${username}, from ${this.userAgent}`,
    })
    this.keep(reply)
    return reply
  }

  /** POST /auth/refresh with `token` (default: the one held), keeping the new pair on success. */
  async refresh(token = this.refreshToken, note = ''): Promise<Reply> {
    const reply = await this.send('POST', '/auth/refresh', { json: { refresh_token: token }, note })
    this.keep(reply)
    return reply
  }

  /** A protected call with the held access token (or `token`). */
  call(method: string, path: string, token = this.accessToken): Promise<Reply> {
    return this.send(method, path, { bearer: token, note: token ? `Authorization: Bearer ${short(token)}` : '' })
  }

  private keep(reply: Reply): void {
    if (reply.status !== 200 || reply.body === null) return
    const { access_token, refresh_token } = reply.body
    if (typeof access_token === 'string') this.accessToken = access_token
    if (typeof refresh_token === 'string') this.refreshToken = refresh_token
  }
}

/** A token shortened for printing: `eyJhbGciOiJFZERT…x2Q`. */
export function short(token: string | null | undefined): string {
  if (!token) return '(none)'
  return token.length <= 24 ? token : `${token.slice(0, 16)}…${token.slice(-6)}`
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
}
