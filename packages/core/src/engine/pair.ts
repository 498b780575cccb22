import { AuthError } from '../errors/index.js'
import type { KeyRing } from '../keys/types.js'
import { accessTokenExpiry } from '../machine/lifetime.js'
import type { FamilyRecord } from '../machine/types.js'
import type { LifetimePolicy } from '../policy/policy.js'
import type { RandomReader } from '../runtime.js'
import { encodeBase64url } from '../tokens/base64url.js'
import { encodeRefreshToken } from '../tokens/refresh-token.js'
import type { AccessClaims, AccessTokenCodec } from '../tokens/types.js'
import { checkAppClaims, NO_CLAIMS } from './claims.js'
import { toSummary } from './summary.js'
import type { FamilySummary, TokenPair } from './types.js'

/** What building a token pair needs, fixed when the engine is built. */
export interface PairContext {
  readonly codec: AccessTokenCodec
  readonly keyRing: KeyRing
  readonly issuer: string
  readonly audience: string | string[]
  readonly policy: LifetimePolicy
  /** The policy of one family (its named one, or the default). */
  policyOf(family: { readonly policy: string | null }): LifetimePolicy
  readonly random: RandomReader
  /** The `client_id` claim of a family bound to no client. */
  readonly defaultClientId: string
  /** `EngineOptions.claims`: the app's claims for every access token. */
  readonly claimsLoader:
    | ((family: FamilySummary) => Record<string, unknown> | Promise<Record<string, unknown>>)
    | undefined
}

/**
 * The refresh token of `generation` in `family`, under the active refresh MAC key. Deterministic:
 * the same family, generation and key give the same token, which is how a grace replay hands
 * out the identical successor without storing it.
 */
export async function refreshTokenFor(
  ctx: PairContext,
  family: FamilyRecord,
  generation: number,
  now: number,
): Promise<string> {
  const kid = ctx.keyRing.activeRefreshKid
  const key = ctx.keyRing.refreshKey(kid, now)
  if (key.status !== 'ok') {
    throw new AuthError('ERR_CONFIG_INVALID', `the active refresh key "${kid}" is ${key.status}; activate another one`)
  }
  return encodeRefreshToken({ kid, familyId: family.id, generation }, key.secret, family.nonce)
}

/**
 * Signs an access token for `family` at `now`. It lives `accessTtl`, but never past the
 * family's absolute expiry: no access token outlives its family's maximum age.
 */
export async function accessTokenFor(
  ctx: PairContext,
  family: FamilyRecord,
  now: number,
  appClaims: Readonly<Record<string, unknown>>,
  accessTtl?: number,
): Promise<{ readonly token: string; readonly expiresAt: number }> {
  // Name by name: the loader wins, then the claims of this call (a refresh's), then the login
  // claims the family keeps. Only the login claims are stored; the others live in this token.
  let merged: Readonly<Record<string, unknown>> = family.claims
  if (appClaims !== NO_CLAIMS) merged = { ...merged, ...appClaims }
  if (ctx.claimsLoader !== undefined) {
    const loaded = checkAppClaims(await ctx.claimsLoader(toSummary(family)), 'claims loader')
    merged = { ...merged, ...loaded }
  }
  const iat = Math.floor(now / 1000)
  const policy = ctx.policyOf(family)
  // A per-token accessTtl never outlives the family's own policy's.
  const exp = accessTokenExpiry(
    family,
    now,
    policy,
    accessTtl === undefined ? undefined : Math.min(accessTtl, policy.accessTtl),
  )
  const claims: AccessClaims = {
    ...merged,
    iss: ctx.issuer,
    aud: ctx.audience,
    sub: family.subject,
    iat,
    exp,
    jti: randomId(ctx.random),
    sid: family.id,
    auth_time: Math.floor(family.authTime / 1000),
    client_id: family.clientId ?? ctx.defaultClientId,
    ...(family.jkt === null ? {} : { cnf: { jkt: family.jkt } }),
  }
  return { token: await ctx.codec.sign(claims), expiresAt: exp * 1000 }
}

/** A fresh access token plus the refresh token of `generation`: what `issue` and `refresh` hand out. */
export async function tokenPair(
  ctx: PairContext,
  family: FamilyRecord,
  generation: number,
  now: number,
  appClaims: Readonly<Record<string, unknown>>,
  accessTtl?: number,
): Promise<TokenPair> {
  const [access, refreshToken] = await Promise.all([
    accessTokenFor(ctx, family, now, appClaims, accessTtl),
    refreshTokenFor(ctx, family, generation, now),
  ])
  return {
    tokenType: family.jkt === null ? 'Bearer' : 'DPoP',
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: family.idleExpiresAt,
    familyExpiresAt: family.expiresAt,
    familyId: family.id,
    generation,
    policy: family.policy,
  }
}

/** 128 random bits, base64url (the `jti`). */
function randomId(random: RandomReader): string {
  const bytes = new Uint8Array(16)
  random.read(bytes)
  return encodeBase64url(bytes)
}
