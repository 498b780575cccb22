import type { AuthRequest, AuthResponse, RequestBody } from '@auth/core/http'
import type { Request, Response } from 'express'

const NO_BODY: RequestBody = { kind: 'none' }

/** The body as Express has it: what the app's own body parser produced, or nothing. Never reads the stream. */
export function parsedBody(req: Request): RequestBody {
  return req.body === undefined ? NO_BODY : { kind: 'parsed', value: req.body }
}

/** The body for our routes: parsed by the app (`express.json()` ran first), else the unread stream. */
export function routeBody(req: Request): RequestBody {
  if (req.body !== undefined) return { kind: 'parsed', value: req.body }
  return { kind: 'raw', read: (limit) => readStream(req, limit) }
}

/** Express request -> the framework-neutral request. */
export function toAuthRequest(req: Request, body: RequestBody): AuthRequest {
  return {
    method: req.method,
    path: req.originalUrl,
    headers: { get: (name) => req.get(name) as string | undefined },
    body,
    ip: req.ip,
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

/**
 * Reads the request stream, holding at most `limit` bytes. Past the limit it stops collecting,
 * lets the rest drain unbuffered (so the connection stays usable for the 413) and returns null.
 */
function readStream(req: Request, limit: number): Promise<Uint8Array | null> {
  if (req.readableEnded) return Promise.resolve(new Uint8Array(0))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        stop()
        req.resume()
        resolve(null)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      stop()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (error: Error) => {
      stop()
      reject(error)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}
