export type { AuthClaims, RequestClaims } from './claims.js'
export type { FastifyAuthOptions } from './plugin.js'
export { authPlugin } from './plugin.js'
