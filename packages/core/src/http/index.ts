export type { Body } from './body.js'
export { DEFAULT_BODY_LIMIT, MAX_FIELD_LENGTH } from './body.js'
export type { AuthHttpCookieOptions, CookieSet, CookieSpec, SameSite } from './cookies.js'
export { CSRF_HEADER, csrfMatches, isUnsafeMethod } from './csrf.js'
export type { HttpError } from './errors-to-http.js'
export { toHttpError } from './errors-to-http.js'
export { parseBearer } from './extract.js'
export { createAuthHttp } from './http.js'
export { logOncePerCause } from './log.js'
export type { AuthHttpOptions, Transport } from './options.js'
export { readLimitedBody } from './read-body.js'
export type { SessionView } from './routes.js'
export type {
  AuthHttp,
  AuthRequest,
  AuthResponse,
  FamilySummary,
  GuardOptions,
  GuardResult,
  LoginResult,
  PreparedGuard,
  RequestBody,
  TokenLocation,
} from './types.js'
