export type { AuthClaims, AuthUser, RequestClaims } from './claims.js'
export type { ExpressAuth, ExpressAuthOptions } from './create-auth.js'
export { createAuth } from './create-auth.js'
