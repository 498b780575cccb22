import type { AuthRequest, AuthResponse, RequestBody } from '@auth/core/http'
import type { Context } from 'hono'

const NO_BODY: RequestBody = { kind: 'none' }

/** Where the client address comes from: runtime-specific in Hono, so the app says (e.g. `getConnInfo`). */
export type ClientIp = (c: Context) => string | undefined

/** The body for our routes: the unread Web stream, read by core up to its limit. */
export function routeBody(c: Context): RequestBody {
  const stream = c.req.raw.body
  if (stream === null) return NO_BODY
  return { kind: 'raw', read: (limit) => readStream(stream, limit) }
}

/** Hono context -> the framework-neutral request. Guards get no body: reading it would take it from the app. */
export function toAuthRequest(c: Context, body: RequestBody, clientIp: ClientIp | undefined): AuthRequest {
  const url = new URL(c.req.url)
  const headers = c.req.raw.headers
  return {
    method: c.req.method,
    path: url.pathname + url.search,
    headers: { get: (name) => headers.get(name) },
    body,
    ip: clientIp?.(c),
  }
}

/** Core's response as a Web `Response`, written out verbatim. */
export function toResponse(response: AuthResponse): Response {
  const headers = new Headers(response.headers)
  for (const cookie of response.cookies) headers.append('set-cookie', cookie)
  if (response.body === null) return new Response(null, { status: response.status, headers })
  if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify(response.body), { status: response.status, headers })
}

/**
 * Reads a Web stream, holding at most `limit` bytes. Past the limit it returns null at once and
 * lets the rest drain unbuffered in the background, so the client still reads the 413 (servers
 * such as @hono/node-server close a connection whose request body was left unread).
 */
async function readStream(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | null> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      void drain(reader)
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** Reads and discards the rest of a stream; a broken stream just ends the draining. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    for (;;) if ((await reader.read()).done) return
  } catch {
    // The client went away: nothing left to drain.
  }
}
