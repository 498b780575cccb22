import type { TokenPair } from '../engine/types.js'
import { setCookie } from './cookies.js'
import type { AuthServerContext, Transport } from './options.js'
import { jsonResponse } from './response.js'
import type { AuthResponse } from './types.js'

/** Whole seconds from `now` until `at` (both epoch ms), never negative. */
function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.floor((at - now) / 1000))
}

/**
 * The answer to a login or a refresh, in the RFC 6749 §5.1 shape, with `Cache-Control:
 * no-store` and `Pragma: no-cache`:
 * - bearer: `{ access_token, token_type: 'Bearer', expires_in, refresh_token, refresh_expires_in, session_expires_at }`;
 * - cookie: the three cookies (access and refresh HttpOnly; Max-Age equal to each token's
 *   remaining life; the CSRF cookie lives as long as the refresh cookie), and a body without
 *   tokens: `{ expires_in, refresh_expires_in, session_expires_at, csrf_token }`.
 * `session_expires_at` is the family's absolute expiry, in seconds since the epoch (like `exp`).
 * The CSRF token is the family's (`engine.csrfToken`): the same after every rotation, so other
 * tabs' requests stay valid, and returned in the body so a client need not read `document.cookie`.
 * `transport` is the answer's transport: the configured one, or `'bearer'` for a native client
 * in mixed mode.
 */
export async function tokenResponse(
  ctx: AuthServerContext,
  pair: TokenPair,
  transport: Transport = ctx.transport,
): Promise<AuthResponse> {
  const now = ctx.clock.now()
  const expiresIn = secondsUntil(pair.accessTokenExpiresAt, now)
  const refreshExpiresIn = secondsUntil(pair.refreshTokenExpiresAt, now)
  const sessionExpiresAt = Math.floor(pair.familyExpiresAt / 1000)
  const headers = { pragma: 'no-cache' }
  if (transport === 'bearer') {
    return jsonResponse(
      200,
      {
        access_token: pair.accessToken,
        token_type: pair.tokenType,
        expires_in: expiresIn,
        refresh_token: pair.refreshToken,
        refresh_expires_in: refreshExpiresIn,
        session_expires_at: sessionExpiresAt,
      },
      { headers },
    )
  }
  const { cookies } = ctx
  const csrf = await ctx.engine.csrfToken(pair.familyId)
  // A named policy with sessionCookies: no Max-Age, so the browser forgets them when it closes.
  const policy = (pair.policy === null ? undefined : ctx.engine.policies[pair.policy]) ?? ctx.engine.policy
  const life = (seconds: number) => (policy.sessionCookies ? null : seconds)
  return jsonResponse(
    200,
    {
      expires_in: expiresIn,
      refresh_expires_in: refreshExpiresIn,
      session_expires_at: sessionExpiresAt,
      csrf_token: csrf,
    },
    {
      headers,
      cookies: [
        setCookie(cookies.access, pair.accessToken, life(expiresIn)),
        setCookie(cookies.refresh, pair.refreshToken, life(refreshExpiresIn)),
        setCookie(cookies.csrf, csrf, life(refreshExpiresIn)),
        // A browser upgraded from a version that scoped the refresh cookie to {prefix}/refresh
        // would otherwise send both, which the duplicate-cookie check refuses.
        setCookie(cookies.legacyRefresh, '', 0),
      ],
    },
  )
}
