import { type AuthRequest, type AuthResponse, type RequestBody, readLimitedBody } from '@auth/core/http'
import type { Request, Response } from 'express'

const NO_BODY: RequestBody = { kind: 'none' }

/** The body as Express has it: what the app's own body parser produced, or nothing. Never reads the stream. */
export function parsedBody(req: Request): RequestBody {
  return req.body === undefined ? NO_BODY : { kind: 'parsed', value: req.body }
}

/** The body for our routes: parsed by the app (`express.json()` ran first), else the unread stream. */
export function routeBody(req: Request): RequestBody {
  if (req.body !== undefined) return { kind: 'parsed', value: req.body }
  if (req.readableEnded) return NO_BODY
  return { kind: 'raw', read: (limit) => readLimitedBody(req, limit) }
}

/**
 * Express request -> the framework-neutral request. A class, not an object literal with getters:
 * a literal's accessors are fresh closures on every request, which V8 keeps in a dictionary-mode
 * object the scavenger cannot free, so each guarded request lived until the next full collection.
 */
export function toAuthRequest(req: Request, body: RequestBody): AuthRequest {
  return new ExpressAuthRequest(req, body)
}

class ExpressAuthRequest implements AuthRequest {
  readonly method: string
  readonly path: string
  readonly headers: { get(name: string): string | undefined }
  readonly body: RequestBody
  readonly ip: string | undefined
  readonly #req: Request

  constructor(req: Request, body: RequestBody) {
    this.method = req.method
    this.path = req.originalUrl
    this.headers = { get: (name) => req.get(name) as string | undefined }
    this.body = body
    this.ip = req.ip
    this.#req = req
  }

  // Express resolves both through its `trust proxy` setting; read only when a check needs them.
  get protocol(): 'http' | 'https' {
    return this.#req.protocol === 'https' ? 'https' : 'http'
  }

  get hostname(): string {
    return this.#req.hostname
  }
}

/** Writes core's response out verbatim. Cookies are appended, so ones the app already set survive. */
export function send(res: Response, response: AuthResponse): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.status(response.status)
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (response.cookies.length > 0) res.append('Set-Cookie', [...response.cookies])
  if (response.body === null) {
    res.end()
    return
  }
  if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(response.body))
}
