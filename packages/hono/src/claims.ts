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

/** The context variables `requireAuth()` sets, for `new Hono<{ Variables: AuthVariables }>()`. */
export interface AuthVariables {
  auth: RequestClaims
}

declare module 'hono' {
  interface ContextVariableMap extends AuthVariables {}
}
