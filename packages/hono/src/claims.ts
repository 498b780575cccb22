import type { AccessClaims } from '@auth/core'

/**
 * Your app's own access-token claims (the ones you pass to `login(…, { claims })`). Empty by
 * default; augment it once and `c.get('auth')` is typed everywhere:
 *
 * ```ts
 * declare module '@auth/hono' {
 *   interface AuthClaims {
 *     role: 'admin' | 'member'
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declaration merging augments
export interface AuthClaims {}

/** The verified claims `requireAuth()` sets as `c.get('auth')`: the registered ones plus {@link AuthClaims}. */
export type RequestClaims = AccessClaims<AuthClaims>

/**
 * Your app's user, as `loadUser` returns it (`c.get('user')`). Empty by default; augment it:
 * `declare module '@auth/hono' { interface AuthUser { id: string; name: string } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declaration merging augments
export interface AuthUser {}

/**
 * The context variables `requireAuth()` sets on the routes it guards: the claims, and the user
 * when `loadUser` is configured (null without one).
 */
export interface AuthVariables {
  auth: RequestClaims
  user: AuthUser | null
}

/** What `requireAuth({ optional: true })` sets: null claims and user for a request without a token. */
export interface OptionalAuthVariables {
  auth: RequestClaims | null
  user: AuthUser | null
}

declare module 'hono' {
  // On a route without the guard nothing is set: `c.get('auth')` is undefined there, and the
  // type says so. Behind `requireAuth()` the guard's own variables type it as set.
  interface ContextVariableMap {
    auth: RequestClaims | null | undefined
    user: AuthUser | null | undefined
  }
}
