import { constantTimeEqual } from '@oslojs/crypto/subtle'

/** The request header that must echo the CSRF cookie (double-submit). */
export const CSRF_HEADER = 'x-csrf-token'

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/**
 * Whether `method` can change state (RFC 9110 §9.2.1): everything but GET, HEAD, OPTIONS and
 * TRACE. POST, PUT, PATCH and DELETE are unsafe, and so is any method we do not know.
 */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase())
}

const encoder = new TextEncoder()

/**
 * Double-submit check: the header must equal the cookie. Compared in constant time (the time
 * depends only on the lengths, never on where the first difference is). Missing or empty
 * values never match.
 */
export function csrfMatches(cookieValue: string | null | undefined, headerValue: string | null | undefined): boolean {
  if (!cookieValue || !headerValue) return false
  return constantTimeEqual(encoder.encode(cookieValue), encoder.encode(headerValue))
}
