import type { AccessClaims } from '@auth/core'

/**
 * Your app's own access-token claims (the ones you pass to `login(…, { claims })`). Empty by
 * default; augment it once and `req.auth` is typed everywhere:
 *
 * ```ts
 * declare module '@auth/express' {
 *   interface AuthClaims {
 *     role: 'admin' | 'member'
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declaration merging augments
export interface AuthClaims {}

/** The verified claims `requireAuth()` puts on `req.auth`: the registered ones plus {@link AuthClaims}. */
export type RequestClaims = AccessClaims<AuthClaims>

declare global {
  namespace Express {
    interface Request {
      /** The verified access-token claims; set by `requireAuth()`, undefined on routes without it. */
      auth?: RequestClaims
    }
  }
}
