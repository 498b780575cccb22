export type { HonoAuth, HonoAuthOptions } from './auth.js'
export { auth } from './auth.js'
export type { AuthClaims, AuthVariables, RequestClaims } from './claims.js'
export type { ClientIp } from './translate.js'
