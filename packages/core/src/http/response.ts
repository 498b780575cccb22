import { type AuthErrorCode, isAuthError } from '../errors/index.js'
import type { RevocationReason } from '../machine/types.js'
import { quoteHeaderValue, toHttpError } from './errors-to-http.js'
import type { AuthResponse } from './types.js'

const JSON_TYPE = 'application/json; charset=utf-8'

/** A JSON response that no cache may store (every route's default). */
export function jsonResponse(
  status: number,
  body: unknown,
  options: { readonly headers?: Record<string, string>; readonly cookies?: readonly string[] } = {},
): AuthResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...options.headers },
    cookies: options.cookies ?? [],
    body,
  }
}

/** A response without a body (204, or RFC 7009's empty 200). */
export function emptyResponse(status: number, cookies: readonly string[] = []): AuthResponse {
  return { status, headers: { 'cache-control': 'no-store' }, cookies, body: null }
}

/** Extra details some error responses carry. */
export interface ErrorDetails {
  /** The `realm` of the `WWW-Authenticate` challenge. */
  readonly realm: string
  /** RFC 9470 `max_age` (seconds) for `ERR_AUTH_STALE`. */
  readonly maxAge?: number | undefined
  /** Cookies to set with the error (cookie mode clears dead credentials). */
  readonly cookies?: readonly string[] | undefined
  /** Extra headers (`Allow` for 405). */
  readonly headers?: Record<string, string> | undefined
  /** Why the family ended (a refused refresh of a MAC-verified token): the body's `revocation_reason`. */
  readonly revocationReason?: RevocationReason | undefined
}

/**
 * The response for an expected failure: the status of {@link toHttpError}, the body
 * `{ error, error_description, code }`, and the RFC 6750 challenge and `Retry-After` when the
 * map asks for them.
 */
export function failureResponse(code: AuthErrorCode, description: string, details: ErrorDetails): AuthResponse {
  const mapped = toHttpError(code)
  const headers: Record<string, string> = { ...details.headers }
  if (mapped.wwwAuthenticate) {
    let challenge = `Bearer realm=${quoteHeaderValue(details.realm)}`
    if (mapped.wwwAuthenticate.error !== undefined) {
      challenge += `, error="${mapped.wwwAuthenticate.error}", error_description=${quoteHeaderValue(description)}`
      if (code === 'ERR_AUTH_STALE' && details.maxAge !== undefined) challenge += `, max_age="${details.maxAge}"`
    }
    headers['www-authenticate'] = challenge
  }
  if (mapped.retryAfter !== undefined) headers['retry-after'] = String(mapped.retryAfter)
  // The rest of an oversized body is not read: the connection cannot be reused, so say so.
  if (code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close'
  const body: Record<string, unknown> = { error: mapped.error, error_description: description, code }
  if (code === 'ERR_AUTH_STALE' && details.maxAge !== undefined) body.max_age = details.maxAge
  if (details.revocationReason !== undefined) body.revocation_reason = details.revocationReason
  return jsonResponse(mapped.status, body, { headers, cookies: details.cookies ?? [] })
}

/**
 * What the client learns about a thrown error: a fixed description per code and nothing else.
 * The error's own message may name hosts, ports or queries, so it never leaves the server.
 */
function thrownDescription(code: AuthErrorCode): string {
  switch (code) {
    case 'ERR_STORAGE_UNAVAILABLE':
    case 'ERR_STORAGE_CONFLICT':
      return 'the session store is temporarily unavailable; retry shortly'
    case 'ERR_KEYS_UNAVAILABLE':
      return "the auth server's keys are temporarily unavailable; retry shortly"
    case 'ERR_HTTPS_REQUIRED':
      return 'session cookies need https: this server is serving them over plain http'
    default:
      return 'internal server error'
  }
}

/**
 * Maps a thrown error to a safe response. A storage outage (`ERR_STORAGE_UNAVAILABLE`, or
 * `ERR_STORAGE_CONFLICT` after the engine's retries) is 503 with `Retry-After: 1`;
 * `ERR_STORAGE_CORRUPT` is a 500 with a generic description and its code; anything else is a
 * 500 with a generic body and no code. A framework's own client error (4xx `status` or
 * `statusCode`) is 413, 415 or 400. Never a message, never a stack.
 */
export function thrownResponse(error: unknown, realm: string): AuthResponse {
  const clientError = frameworkClientError(error)
  if (clientError !== null) return failureResponse(clientError, CLIENT_ERROR_DESCRIPTIONS[clientError], { realm })
  if (isAuthError(error)) {
    const mapped = toHttpError(error.code)
    if (mapped.status === 503 || error.code === 'ERR_STORAGE_CORRUPT' || error.code === 'ERR_HTTPS_REQUIRED') {
      return failureResponse(error.code, thrownDescription(error.code), { realm })
    }
  }
  // Anything else thrown (a misused option deep inside, a bug) is a server fault, whatever its
  // code: the client learns nothing about it.
  return jsonResponse(500, { error: 'server_error', error_description: thrownDescription('ERR_STORAGE_CORRUPT') })
}

const CLIENT_ERROR_DESCRIPTIONS = {
  ERR_BODY_TOO_LARGE: 'the body is too large',
  ERR_UNSUPPORTED_MEDIA_TYPE: 'send application/json or application/x-www-form-urlencoded',
  ERR_BAD_REQUEST: 'the request could not be read',
} as const

/**
 * A framework's own client error (body-parser's `PayloadTooLargeError`, Fastify's
 * `FST_ERR_CTP_*`, Hono's `HTTPException`…): an `Error` with a 4xx `status` or `statusCode`.
 * Mapped once here so no adapter has to: 413 and 415 keep their meaning, any other 4xx is a
 * bad request. Its message is not passed on.
 */
function frameworkClientError(error: unknown): keyof typeof CLIENT_ERROR_DESCRIPTIONS | null {
  if (!(error instanceof Error) || isAuthError(error)) return null
  const { status, statusCode } = error as Error & { status?: unknown; statusCode?: unknown }
  const code = typeof status === 'number' ? status : statusCode
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 499) return null
  if (code === 413) return 'ERR_BODY_TOO_LARGE'
  if (code === 415) return 'ERR_UNSUPPORTED_MEDIA_TYPE'
  return 'ERR_BAD_REQUEST'
}
