import { type Failure, failure } from '../errors/index.js'
import { type Body, MAX_FIELD_LENGTH } from './body.js'
import type { TokenLocation } from './types.js'

/** Where a request's credentials can be read from. */
export interface TokenSources {
  /** The `Authorization` header. */
  readonly authorization: string | null | undefined
  /** The request's cookies. */
  readonly cookies: ReadonlyMap<string, string>
  /** The access cookie's name. */
  readonly cookieName: string
  /** The parsed body, or null when it is not available (a guard never consumes a raw body). */
  readonly body: Body | null
}

/** A token found, with where it came from (the CSRF rule depends on it), or why not. */
export type Extraction =
  | { readonly ok: true; readonly token: string; readonly location: TokenLocation }
  | Failure<'ERR_ACCESS_TOKEN_MISSING' | 'ERR_ACCESS_TOKEN_MALFORMED'>

/** RFC 6750 §2.1 `b64token`. Every token we issue (JWS compact, refresh) matches it. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Whether `value` has the syntax of a token we could have issued (RFC 6750 b64token, bounded length). */
export function isTokenSyntax(value: string): boolean {
  return value.length > 0 && value.length <= MAX_FIELD_LENGTH && B64TOKEN.test(value)
}

/**
 * Reads an `Authorization` header: `absent` when there is none or it uses another scheme
 * (Basic…), `malformed` when it says Bearer but the token is not a b64token (RFC 6750 §2.1;
 * the scheme is case-insensitive, RFC 9110 §11.1), else the token.
 */
export function parseBearer(
  header: string | null | undefined,
): { readonly kind: 'absent' } | { readonly kind: 'malformed' } | { readonly kind: 'token'; readonly token: string } {
  if (!header) return { kind: 'absent' }
  const match = /^([A-Za-z0-9!#$%&'*+\-.^_`|~]+)(?: +(.*))?$/.exec(header.trim())
  if (match?.[1]?.toLowerCase() !== 'bearer') {
    return match ? { kind: 'absent' } : { kind: 'malformed' }
  }
  const token = match[2]?.trim() ?? ''
  return isTokenSyntax(token) ? { kind: 'token', token } : { kind: 'malformed' }
}

/**
 * Finds the access token in the first of `locations` (in order) that holds one, like
 * flask-jwt-extended's `JWT_TOKEN_LOCATION`. A location holding something that cannot be a
 * token stops the search with `ERR_ACCESS_TOKEN_MALFORMED` (a broken credential is never
 * silently replaced by another one); none holding anything gives `ERR_ACCESS_TOKEN_MISSING`.
 * The body location reads `access_token`.
 */
export function extractAccessToken(sources: TokenSources, locations: readonly TokenLocation[]): Extraction {
  for (const location of locations) {
    const found = readLocation(sources, location)
    if (found === undefined) continue
    if (found === null) return failure('ERR_ACCESS_TOKEN_MALFORMED', `the access token in the ${location} is malformed`)
    return { ok: true, token: found, location }
  }
  return failure('ERR_ACCESS_TOKEN_MISSING', 'no access token was presented')
}

/** undefined: nothing there; null: something there that is not a token; else the token. */
function readLocation(sources: TokenSources, location: TokenLocation): string | null | undefined {
  switch (location) {
    case 'header': {
      const bearer = parseBearer(sources.authorization)
      return bearer.kind === 'absent' ? undefined : bearer.kind === 'malformed' ? null : bearer.token
    }
    case 'cookie': {
      const value = sources.cookies.get(sources.cookieName)
      return value === undefined || value === '' ? undefined : isTokenSyntax(value) ? value : null
    }
    case 'body': {
      const value = sources.body?.field('access_token')
      if (value === undefined) return undefined
      return typeof value === 'string' && isTokenSyntax(value) ? value : null
    }
    default: {
      const _never: never = location
      return _never
    }
  }
}
