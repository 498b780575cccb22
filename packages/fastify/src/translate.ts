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

/** Fastify request -> the framework-neutral request. */
export function toAuthRequest(request: FastifyRequest, body: RequestBody): AuthRequest {
  const headers = request.headers
  return {
    method: request.method,
    path: request.url,
    headers: {
      get(name) {
        const value = headers[name.toLowerCase()]
        return Array.isArray(value) ? value.join(', ') : value
      },
    },
    body,
    ip: request.ip,
    // Fastify resolves both through its `trustProxy` option; read only when a check needs them.
    get protocol() {
      return request.protocol === 'https' ? 'https' : 'http'
    },
    get hostname() {
      return request.hostname
    },
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
