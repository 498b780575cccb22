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

/**
 * Your app's user, as `loadUser` returns it: Express's own `Express.User` (the interface Passport
 * uses too), so one augmentation types `req.user` for both:
 *
 * ```ts
 * declare global {
 *   namespace Express {
 *     interface User { id: string; name: string }
 *   }
 * }
 * ```
 */
export type AuthUser = Express.User

declare global {
  namespace Express {
    interface User {}
    interface Request {
      /**
       * The verified access-token claims, set by `requireAuth()`; null behind
       * `requireAuth({ optional: true })` for a request without a token; undefined on routes without a guard.
       */
      auth?: RequestClaims | null
      /** `loadUser`'s answer for the verified token, set by `requireAuth()`; undefined without a loader or a token. */
      user?: User
    }
  }
}
