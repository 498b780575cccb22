import { type AuthRequest, type AuthResponse, type RequestBody, readLimitedBody } from '@auth/core/http'
import type { Context } from 'hono'

const NO_BODY: RequestBody = { kind: 'none' }

/** Where the client address comes from: runtime-specific in Hono, so the app says (e.g. `getConnInfo`). */
export type ClientIp = (c: Context) => string | undefined

/**
 * The Node request under @hono/node-server (`c.env.incoming`, its HttpBindings), when the app runs
 * there and nothing has read its body. Reading headers and the body from it skips what the bridge
 * would otherwise build for us: a Web `Headers` from every header and, for the body, a full
 * `Request` with a Web stream over the Node one (about a tenth of a refresh's server CPU).
 */
interface NodeIncoming extends AsyncIterable<Uint8Array> {
  readonly headers: Record<string, string | string[] | undefined>
  readonly readableDidRead?: boolean
}

function nodeIncoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming as NodeIncoming | undefined
  if (incoming === undefined || incoming === null || typeof incoming.headers !== 'object') return undefined
  return typeof (incoming as { on?: unknown }).on === 'function' ? incoming : undefined
}

/** The body for our routes: the unread Node stream or Web stream, read by core up to its limit. */
export function routeBody(c: Context): RequestBody {
  const incoming = nodeIncoming(c)
  if (incoming !== undefined && incoming.readableDidRead !== true) {
    const length = incoming.headers['content-length']
    if (length === '0' || (length === undefined && incoming.headers['transfer-encoding'] === undefined)) return NO_BODY
    return { kind: 'raw', read: (limit) => readLimitedBody(incoming, limit) }
  }
  const stream = c.req.raw.body
  if (stream === null) return NO_BODY
  return { kind: 'raw', read: (limit) => readLimitedBody(stream, limit) }
}

/** The request's headers, read on demand: from the Node request when there is one, else the Web `Headers`. */
function requestHeaders(c: Context): { get(name: string): string | null } {
  const incoming = nodeIncoming(c)
  if (incoming !== undefined) {
    const raw = incoming.headers
    return {
      get(name) {
        const value = raw[name.toLowerCase()]
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
      },
    }
  }
  let headers: Headers | undefined
  return {
    get(name) {
      if (headers === undefined) headers = c.req.raw.headers
      return headers.get(name)
    },
  }
}

/**
 * Hono context -> the framework-neutral request. Guards get no body: reading it would take it from the app.
 * A class, not an object literal with getters: a literal's accessors are fresh closures over the
 * context on every request, which V8 keeps in a dictionary-mode object that the scavenger cannot
 * free, so every guarded request's context, Node request and response lived until the next full
 * collection (the protected route's CPU more than doubled; docs/benchmarks.md has the figures).
 */
export function toAuthRequest(
  c: Context,
  body: RequestBody,
  clientIp: ClientIp | undefined,
  trustProxy = false,
): AuthRequest {
  return new HonoAuthRequest(c, body, clientIp, trustProxy)
}

class HonoAuthRequest implements AuthRequest {
  readonly method: string
  readonly path: string
  readonly headers: { get(name: string): string | null }
  readonly body: RequestBody
  readonly ip: string | undefined
  readonly #url: string
  readonly #trustProxy: boolean

  constructor(c: Context, body: RequestBody, clientIp: ClientIp | undefined, trustProxy: boolean) {
    const headers = requestHeaders(c)
    const url = c.req.url
    this.method = c.req.method
    this.path = pathOf(url)
    this.headers = headers
    this.body = body
    this.ip = clientIp?.(c) ?? (trustProxy ? firstForwarded(headers.get('x-forwarded-for')) : undefined)
    this.#url = url
    this.#trustProxy = trustProxy
  }

  // Hono has no trust-proxy setting of its own: the adapter's `trustProxy` says whether the
  // proxy's X-Forwarded-Proto / X-Forwarded-Host are the truth. Read only when a check needs them.
  get protocol(): 'http' | 'https' {
    const forwarded = this.#trustProxy
      ? firstForwarded(this.headers.get('x-forwarded-proto'))?.toLowerCase()
      : undefined
    if (forwarded === 'https' || forwarded === 'http') return forwarded
    return this.#url.startsWith('https:') ? 'https' : 'http'
  }

  get hostname(): string | undefined {
    const forwarded = this.#trustProxy ? firstForwarded(this.headers.get('x-forwarded-host')) : undefined
    try {
      return forwarded === undefined ? new URL(this.#url).hostname : new URL(`http://${forwarded}`).hostname
    } catch {
      return undefined
    }
  }
}

/** The first (client-most) entry of an X-Forwarded-* header. */
function firstForwarded(value: string | null): string | undefined {
  const first = value?.split(',', 1)[0]?.trim()
  return first === undefined || first === '' ? undefined : first
}

/** Core's response as a Web `Response`, written out verbatim. */
export function toResponse(response: AuthResponse): Response {
  if (response.cookies.length === 0) {
    // Plain-object headers: what @hono/node-server writes without building a `Headers` first.
    if (response.body === null) return new Response(null, { status: response.status, headers: response.headers })
    const headers =
      'content-type' in response.headers
        ? response.headers
        : { ...response.headers, 'content-type': 'application/json; charset=utf-8' }
    return new Response(JSON.stringify(response.body), { status: response.status, headers })
  }
  const headers = new Headers(response.headers)
  for (const cookie of response.cookies) headers.append('set-cookie', cookie)
  if (response.body === null) return new Response(null, { status: response.status, headers })
  if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify(response.body), { status: response.status, headers })
}

/**
 * The path and query of an absolute URL, as the client sent them (what Express's `originalUrl`
 * and Fastify's `url` give the other adapters). Sliced, not parsed: `new URL()` on every guarded
 * request cost about 1 µs in the protected-route benchmark.
 */
export function pathOf(url: string): string {
  const scheme = url.indexOf('://')
  const start = scheme < 0 ? 0 : url.indexOf('/', scheme + 3)
  if (start < 0) return '/'
  const hash = url.indexOf('#', start)
  return hash < 0 ? url.slice(start) : url.slice(start, hash)
}
