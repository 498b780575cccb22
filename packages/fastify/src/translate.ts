import type { AuthRequest, AuthResponse, RequestBody } from '@auth/core/http'
import type { FastifyReply, FastifyRequest } from 'fastify'

const NO_BODY: RequestBody = { kind: 'none' }

/** The body as the app's own parsers left it (guards and login never read one themselves). */
export function parsedBody(request: FastifyRequest): RequestBody {
  return request.body === undefined ? NO_BODY : { kind: 'parsed', value: request.body }
}

/** The body for our routes: the bytes our catch-all parser collected (at most core's limit), unparsed. */
export function routeBody(request: FastifyRequest): RequestBody {
  const bytes = request.body
  if (!(bytes instanceof Uint8Array)) return NO_BODY
  return { kind: 'raw', read: async (limit) => (bytes.byteLength > limit ? null : bytes) }
}

/**
 * Fastify request -> the framework-neutral request. A class, not an object literal with getters:
 * a literal's accessors are fresh closures on every request, which V8 keeps in a dictionary-mode
 * object the scavenger cannot free, so each guarded request lived until the next full collection.
 */
export function toAuthRequest(request: FastifyRequest, body: RequestBody): AuthRequest {
  return new FastifyAuthRequest(request, body)
}

class FastifyAuthRequest implements AuthRequest {
  readonly method: string
  readonly path: string
  readonly headers: { get(name: string): string | undefined }
  readonly body: RequestBody
  readonly ip: string
  readonly #request: FastifyRequest

  constructor(request: FastifyRequest, body: RequestBody) {
    const headers = request.headers
    this.method = request.method
    this.path = request.url
    this.headers = {
      get(name) {
        const value = headers[name.toLowerCase()]
        return Array.isArray(value) ? value.join(', ') : value
      },
    }
    this.body = body
    this.ip = request.ip
    this.#request = request
  }

  // Fastify resolves both through its `trustProxy` option; read only when a check needs them.
  get protocol(): 'http' | 'https' {
    return this.#request.protocol === 'https' ? 'https' : 'http'
  }

  get hostname(): string {
    return this.#request.hostname
  }
}

/** Writes core's response out verbatim. */
export function send(reply: FastifyReply, response: AuthResponse): FastifyReply {
  reply.code(response.status).headers(response.headers)
  if (response.cookies.length > 0) reply.header('set-cookie', [...response.cookies])
  if (response.body === null) return reply.send()
  if (!reply.hasHeader('content-type')) reply.type('application/json; charset=utf-8')
  return reply.send(JSON.stringify(response.body))
}
