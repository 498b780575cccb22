export type { HonoAuth, HonoAuthOptions } from './auth.js'
export { auth } from './auth.js'
export type { AuthClaims, AuthUser, AuthVariables, OptionalAuthVariables, RequestClaims } from './claims.js'
export type { ClientIp } from './translate.js'
