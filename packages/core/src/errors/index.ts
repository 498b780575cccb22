/**
 * Every error code the library can produce, in one place. Codes are stable: clients and
 * logs may match on them. Each maps to exactly one HTTP status in `core/http`.
 *
 * Expected outcomes (a bad token, a reused refresh token, a stale login) are returned as
 * values carrying one of these codes. Only misuse (bad configuration) and infrastructure
 * failures (storage outage, corrupt records) are thrown, as {@link AuthError}.
 */
export const AUTH_ERROR_CODES = [
  // configuration (thrown at construction, never per request)
  'ERR_CONFIG_INVALID',
  // storage (thrown: the request fails closed)
  'ERR_STORAGE_UNAVAILABLE',
  'ERR_STORAGE_CORRUPT',
  'ERR_STORAGE_CONFLICT',
  // a resource server's keys (thrown: no key set could be loaded, or it is too stale to trust)
  'ERR_KEYS_UNAVAILABLE',
  // access tokens (returned)
  'ERR_ACCESS_TOKEN_MISSING',
  'ERR_ACCESS_TOKEN_MALFORMED',
  'ERR_ACCESS_TOKEN_INVALID',
  'ERR_ACCESS_TOKEN_EXPIRED',
  'ERR_ACCESS_TOKEN_REVOKED',
  'ERR_AUTH_STALE',
  'ERR_USER_NOT_FOUND',
  // refresh tokens (returned)
  'ERR_REFRESH_TOKEN_MISSING',
  'ERR_REFRESH_TOKEN_MALFORMED',
  'ERR_REFRESH_TOKEN_INVALID',
  'ERR_REFRESH_TOKEN_KEY_RETIRED',
  'ERR_REFRESH_TOKEN_EXPIRED',
  'ERR_REFRESH_TOKEN_REVOKED',
  'ERR_REFRESH_TOKEN_REUSED',
  'ERR_REFRESH_BINDING_MISSING',
  // DPoP proofs (returned)
  'ERR_DPOP_PROOF_INVALID',
  'ERR_DPOP_NONCE_REQUIRED',
  // families
  'ERR_FAMILY_NOT_FOUND',
  'ERR_FAMILY_REVOKED',
  'ERR_FAMILY_EXPIRED',
  // http
  'ERR_HTTPS_REQUIRED',
  'ERR_CSRF',
  'ERR_BAD_REQUEST',
  'ERR_BODY_TOO_LARGE',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_UNSUPPORTED_GRANT_TYPE',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_NOT_FOUND',
] as const

/** A stable error code. */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number]

/** Codes that describe a failed access-token verification. */
export type AccessTokenErrorCode =
  | 'ERR_ACCESS_TOKEN_MISSING'
  | 'ERR_ACCESS_TOKEN_MALFORMED'
  | 'ERR_ACCESS_TOKEN_INVALID'
  | 'ERR_ACCESS_TOKEN_EXPIRED'
  | 'ERR_ACCESS_TOKEN_REVOKED'
  | 'ERR_AUTH_STALE'

/** Codes that describe a refused refresh. */
export type RefreshErrorCode =
  | 'ERR_REFRESH_TOKEN_MISSING'
  | 'ERR_REFRESH_TOKEN_MALFORMED'
  | 'ERR_REFRESH_TOKEN_INVALID'
  | 'ERR_REFRESH_TOKEN_KEY_RETIRED'
  | 'ERR_REFRESH_TOKEN_EXPIRED'
  | 'ERR_REFRESH_TOKEN_REVOKED'
  | 'ERR_REFRESH_TOKEN_REUSED'
  | 'ERR_REFRESH_BINDING_MISSING'
  | 'ERR_DPOP_PROOF_INVALID'

/** An expected failure, returned (not thrown) by the engine and the http layer. */
export interface Failure<C extends AuthErrorCode = AuthErrorCode> {
  readonly ok: false
  readonly code: C
  /** Human-readable, safe to show to the client (never contains secrets or stack traces). */
  readonly message: string
}

/** Builds a {@link Failure} value. */
export function failure<C extends AuthErrorCode>(code: C, message: string): Failure<C> {
  return { ok: false, code, message }
}

/**
 * Thrown for misuse (bad configuration) and for infrastructure failures (storage outage,
 * corrupt record, exhausted compare-and-set retries). Never thrown for bad input.
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AuthError'
    this.code = code
  }
}

/** True when `value` is an {@link AuthError} (also across package copies). */
export function isAuthError(value: unknown): value is AuthError {
  if (value instanceof AuthError) return true
  if (!(value instanceof Error) || value.name !== 'AuthError') return false
  const code: unknown = (value as Error & { code?: unknown }).code
  return typeof code === 'string' && (AUTH_ERROR_CODES as readonly string[]).includes(code)
}
