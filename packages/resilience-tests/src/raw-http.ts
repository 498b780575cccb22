import { connect } from 'node:net'
import { expect } from 'vitest'

/** A response as it came off the socket. `status` is 0 when the server closed without answering. */
export interface RawReply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The JSON body when it parses to an object. */
  readonly json: Record<string, unknown> | undefined
}

/** One request written byte for byte: nothing is validated or encoded on the way (unlike fetch). */
export interface RawRequest {
  readonly method: string
  readonly path: string
  /** Header lines as raw bytes or strings; `Host` and `Connection: close` are added. */
  readonly headers?: readonly (readonly [string, string | Uint8Array])[]
  readonly body?: string | Uint8Array
}

/** Milliseconds before a request counts as a hang. */
export const REQUEST_TIMEOUT = 5_000

/**
 * Sends one HTTP/1.1 request over a fresh socket to 127.0.0.1:`port` and reads until the server
 * closes. Fails (a hang) when nothing complete arrived within {@link REQUEST_TIMEOUT}. A server
 * that resets the connection after reading part of an oversized request gives status 0.
 */
export function rawHttp(port: number, request: RawRequest): Promise<RawReply> {
  const parts: Buffer[] = [Buffer.from(`${request.method} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`)]
  for (const [name, value] of request.headers ?? []) {
    parts.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'))
  }
  const body = request.body === undefined ? undefined : Buffer.from(request.body)
  if (body !== undefined) parts.push(Buffer.from(`Content-Length: ${body.byteLength}\r\n`))
  parts.push(Buffer.from('Connection: close\r\n\r\n'))
  if (body !== undefined) parts.push(body)
  const bytes = Buffer.concat(parts)

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1')
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer within ${REQUEST_TIMEOUT} ms: ${request.method} ${request.path}`))
    }, REQUEST_TIMEOUT)
    socket.on('data', (chunk) => chunks.push(chunk))
    // A server may refuse an oversized request before reading all of it and reset the socket.
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseReply(Buffer.concat(chunks)))
    })
    socket.write(bytes, () => socket.end())
  })
}

function parseReply(raw: Buffer): RawReply {
  const split = raw.indexOf('\r\n\r\n')
  if (split < 0) return { status: 0, headers: {}, body: raw.toString('latin1'), json: undefined }
  const [statusLine = '', ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let payload = raw.subarray(split + 4)
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) payload = dechunk(payload)
  const body = payload.toString('utf8')
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>
  } catch {
    json = undefined
  }
  return { status, headers, body, json }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  while (at < data.length) {
    const eol = data.indexOf('\r\n', at)
    if (eol < 0) break
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!Number.isFinite(size) || size === 0) break
    out.push(data.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(out)
}

/** A stack frame, a source file or a server path: none may reach a client. */
const LEAK = /^\s*at |\bat [^\n]*:\d+:\d+|node_modules|\/work\/|file:\/\/|\.[cm]?[jt]s:\d+|\bError: /im

/**
 * The floor for every hostile request: an answer (no hang, no dropped connection unless the
 * server refused an oversized request), a status below 500, and nothing of the server's insides.
 */
export function expectNoLeak(reply: RawReply, what: string): RawReply {
  expect(reply.status, `${what}: ${reply.body.slice(0, 300)}`).toBeGreaterThanOrEqual(200)
  expect(reply.status, `${what}: 5xx ${reply.body.slice(0, 300)}`).toBeLessThan(500)
  expect(reply.body, `${what}: a stack trace or a server path reached the client`).not.toMatch(LEAK)
  return reply
}

/** One of our own refusals: a 4xx, a JSON `{ error, error_description, code }` with a stable code. */
export function expectOurRefusal(reply: RawReply, what: string, status?: number, code?: string | string[]): void {
  expectNoLeak(reply, what)
  expect(reply.status, `${what}: ${reply.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400)
  if (status !== undefined) expect(reply.status, `${what}: ${reply.body.slice(0, 300)}`).toBe(status)
  expect(reply.headers['content-type'] ?? '', what).toMatch(/^application\/json/)
  expect(typeof reply.json?.error, `${what}: ${reply.body.slice(0, 300)}`).toBe('string')
  expect(typeof reply.json?.error_description, what).toBe('string')
  expect(reply.json?.code, `${what}: ${reply.body.slice(0, 300)}`).toMatch(/^ERR_[A-Z_]+$/)
  if (code !== undefined) {
    expect(Array.isArray(code) ? code : [code], `${what}: ${reply.body.slice(0, 300)}`).toContain(reply.json?.code)
  }
}
