export type { AuthClaims, AuthUser, RequestClaims } from './claims.js'
export type { FastifyAuthOptions } from './plugin.js'
export { authPlugin } from './plugin.js'
