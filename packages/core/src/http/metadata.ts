import { DPOP_ALGORITHMS } from '../tokens/dpop.js'
import type { AuthServerContext } from './options.js'
import { jsonResponse } from './response.js'
import type { AuthRequest, AuthResponse } from './types.js'

/**
 * Where RFC 8414 §3.1 puts the authorization server metadata of `issuer`: the well-known path
 * inserted between the host and the issuer's own path
 * (`https://a.example/t1` → `/.well-known/oauth-authorization-server/t1`). Null when the issuer
 * is not an http(s) URL (discovery then cannot work, and nothing is served).
 */
export function metadataPath(issuer: string): string | null {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return `/.well-known/oauth-authorization-server${path}`
}

/**
 * The authorization server metadata (RFC 8414), for GET (and HEAD) of {@link metadataPath}: the
 * `issuer` exactly as configured (clients compare it), the JWKS, the token (refresh) and
 * revocation endpoints under the routes' prefix on the issuer's origin, the one grant this server
 * speaks, public clients only, and no authorization endpoint (`response_types_supported: []`).
 * Null for any other request.
 */
export function metadataResponse(ctx: AuthServerContext, request: AuthRequest): AuthResponse | null {
  const issuer = ctx.engine.issuer
  const path = metadataPath(issuer)
  if (path === null) return null
  const end = request.path.search(/[?#]/)
  const pathname = end === -1 ? request.path : request.path.slice(0, end)
  if (pathname !== path) return null
  const method = request.method.toUpperCase()
  if (method !== 'GET' && method !== 'HEAD') return null
  const origin = new URL(issuer).origin
  const endpoint = (route: string) => `${origin}${ctx.prefix}${route}`
  return jsonResponse(
    200,
    {
      issuer,
      jwks_uri: endpoint('/jwks'),
      token_endpoint: endpoint('/refresh'),
      revocation_endpoint: endpoint('/revoke'),
      grant_types_supported: ['refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      // RFC 9449 §5.1, when the engine binds families to DPoP keys.
      ...(ctx.dpop === null ? {} : { dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS] }),
    },
    { headers: { 'cache-control': 'public, max-age=300' } },
  )
}
