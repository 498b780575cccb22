/**
 * The example's stand-in for checking credentials: it accepts any well-formed username. A real
 * app checks a password, a passkey or an upstream identity provider here, and only then calls
 * the adapter's login helper. Returns null for anything that is not `{ "username": "<1-32 of A-Z a-z 0-9 _ . ->" }`.
 */
export function usernameFrom(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null
  const username = (body as { username?: unknown }).username
  if (typeof username !== 'string' || !/^[A-Za-z0-9_.-]{1,32}$/.test(username)) return null
  return username
}

/** The 400 body the examples send for a login they cannot read (same shape as the library's errors). */
export const BAD_LOGIN = Object.freeze({
  error: 'invalid_request',
  error_description: 'send JSON: { "username": "<1-32 letters, digits, _ . ->" }',
})
