import type { AuthErrorCode } from '../errors/index.js'

/**
 * How one error code travels over HTTP.
 * - `status`: the HTTP status.
 * - `error`: the `error` member of the JSON body: an RFC 6749 §5.2 / RFC 6750 §3.1 / RFC 9470
 *   code where one fits (`invalid_grant`, `invalid_token`…), else a short snake_case name (`not_found`).
 * - `wwwAuthenticate`: present when the response carries an RFC 6750 `WWW-Authenticate: Bearer`
 *   challenge; its `error` is the challenge's `error` attribute (absent when the request carried
 *   no token at all, as RFC 6750 §3.1 asks).
 * - `retryAfter`: seconds for a `Retry-After` header (storage outages).
 */
export interface HttpError {
  readonly status: number
  readonly error: string
  readonly wwwAuthenticate?: { readonly error?: string }
  readonly retryAfter?: number
}

const INVALID_TOKEN: HttpError = { status: 401, error: 'invalid_token', wwwAuthenticate: { error: 'invalid_token' } }
const INVALID_GRANT: HttpError = { status: 400, error: 'invalid_grant' }
const NOT_FOUND: HttpError = { status: 404, error: 'not_found' }
const UNAVAILABLE: HttpError = { status: 503, error: 'temporarily_unavailable', retryAfter: 1 }
const SERVER_ERROR: HttpError = { status: 500, error: 'server_error' }

/**
 * The one map from a stable error code to its HTTP shape. Exhaustive: adding a code to
 * `AUTH_ERROR_CODES` without a case here fails to compile.
 */
export function toHttpError(code: AuthErrorCode): HttpError {
  switch (code) {
    // Never per request: a bad configuration is a server fault.
    case 'ERR_CONFIG_INVALID':
      return SERVER_ERROR
    // Outages are transient: the client may retry shortly. A lost compare-and-set race that
    // exhausted the engine's retries is the same from the client's side.
    case 'ERR_STORAGE_UNAVAILABLE':
    case 'ERR_STORAGE_CONFLICT':
    // A resource server that cannot get the auth server's keys fails closed, and may retry.
    case 'ERR_KEYS_UNAVAILABLE':
      return UNAVAILABLE
    // A record we did not write is a real server fault: retrying will not help.
    case 'ERR_STORAGE_CORRUPT':
      return SERVER_ERROR
    // RFC 6750 §3.1: no authentication information at all -> a challenge without `error`.
    case 'ERR_ACCESS_TOKEN_MISSING':
      return { status: 401, error: 'invalid_request', wwwAuthenticate: {} }
    case 'ERR_ACCESS_TOKEN_MALFORMED':
    case 'ERR_ACCESS_TOKEN_INVALID':
    case 'ERR_ACCESS_TOKEN_EXPIRED':
    case 'ERR_ACCESS_TOKEN_REVOKED':
    // A valid token whose subject the app's loadUser no longer knows (deleted, disabled).
    case 'ERR_USER_NOT_FOUND':
      return INVALID_TOKEN
    // RFC 9470: the token is fine, the login is too old; re-authenticate, do not refresh.
    case 'ERR_AUTH_STALE':
      return {
        status: 401,
        error: 'insufficient_user_authentication',
        wwwAuthenticate: { error: 'insufficient_user_authentication' },
      }
    // RFC 6749 §5.2: a missing parameter is invalid_request; a bad, expired, revoked or reused
    // grant is invalid_grant, with status 400 (401 is only for invalid_client).
    case 'ERR_REFRESH_TOKEN_MISSING':
    // The grant may be fine; the request lacks the binding header the policy asks for.
    case 'ERR_REFRESH_BINDING_MISSING':
      return { status: 400, error: 'invalid_request' }
    case 'ERR_REFRESH_TOKEN_MALFORMED':
    case 'ERR_REFRESH_TOKEN_INVALID':
    case 'ERR_REFRESH_TOKEN_KEY_RETIRED':
    case 'ERR_REFRESH_TOKEN_EXPIRED':
    case 'ERR_REFRESH_TOKEN_REVOKED':
    case 'ERR_REFRESH_TOKEN_REUSED':
      return INVALID_GRANT
    // RFC 9449 §5 and §8: a refused proof, or a request to retry with the server's DPoP-Nonce.
    case 'ERR_DPOP_PROOF_INVALID':
      return { status: 400, error: 'invalid_dpop_proof' }
    case 'ERR_DPOP_NONCE_REQUIRED':
      return { status: 400, error: 'use_dpop_nonce' }
    // Unknown, revoked and expired families look the same: existence never leaks.
    case 'ERR_FAMILY_NOT_FOUND':
    case 'ERR_FAMILY_REVOKED':
    case 'ERR_FAMILY_EXPIRED':
    case 'ERR_NOT_FOUND':
      return NOT_FOUND
    // Authenticated (or at least credentialed) but the request did not prove it came from our page.
    case 'ERR_CSRF':
      return { status: 403, error: 'access_denied' }
    // The deployment's fault (Secure cookies over plain HTTP), not the client's: a 500 that says so.
    case 'ERR_HTTPS_REQUIRED':
      return SERVER_ERROR
    case 'ERR_BAD_REQUEST':
      return { status: 400, error: 'invalid_request' }
    case 'ERR_BODY_TOO_LARGE':
      return { status: 413, error: 'invalid_request' }
    case 'ERR_UNSUPPORTED_MEDIA_TYPE':
      return { status: 415, error: 'invalid_request' }
    case 'ERR_UNSUPPORTED_GRANT_TYPE':
      return { status: 400, error: 'unsupported_grant_type' }
    case 'ERR_METHOD_NOT_ALLOWED':
      return { status: 405, error: 'invalid_request' }
    default: {
      const _never: never = code
      return _never
    }
  }
}

/**
 * Makes `text` safe inside a quoted-string of an HTTP header (RFC 9110 §5.6.4): printable
 * ASCII only (anything else becomes `?`, so no CR/LF can split the header), `\` and `"`
 * escaped, at most `max` characters.
 */
export function quoteHeaderValue(text: string, max = 200): string {
  const printable = text.slice(0, max).replace(/[^\x20-\x7e]/g, '?')
  return `"${printable.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}
