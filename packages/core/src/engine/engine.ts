import { AuthError, failure } from '../errors/index.js'
import { eventBase, type RequestContext } from '../events/index.js'
import { createFamilyRecord } from '../machine/record.js'
import { type FamilyRecord, REVOCATION_REASONS, type RevocationReason } from '../machine/types.js'
import { type Duration, type LifetimePolicy, parseDuration } from '../policy/policy.js'
import { familyCsrfToken, familyCsrfTokenMatches } from '../tokens/csrf-token.js'
import { createDpopNonces } from '../tokens/dpop.js'
import { generateFamilyId, generateNonce } from '../tokens/refresh-token.js'
import type { VerifyAccessResult } from '../tokens/types.js'
import { afterVerify } from '../verifier/checks.js'
import { checkAppClaims, checkContext, checkMeta, checkStoredClaims, checkSubject, NO_CLAIMS } from './claims.js'
import { familyOp } from './family-ops.js'
import { type EngineContext, isClientId, resolveEngineOptions } from './options.js'
import { tokenPair } from './pair.js'
import { inspect, type RefreshRequest, refresh } from './refresh.js'
import { evictBeyondCap, liveFamilies, revokeAllOf } from './subject.js'
import { toSummary } from './summary.js'
import { issueOutcome, refreshOutcome } from './telemetry-outcomes.js'
import type { DpopMode, Engine, EngineOptions, FamilySummary, TokenPair, VerifyAccessOptions } from './types.js'

const REASONS: ReadonlySet<unknown> = new Set(REVOCATION_REASONS)

/**
 * Builds the engine: the only part of the library that calls storage. It reads a family,
 * asks the pure `decide` what happens, and writes the answer with compare-and-set, re-reading
 * and re-deciding when another request won the race (at most `maxRetries` times).
 *
 * Every option is checked here; a bad one throws `AuthError('ERR_CONFIG_INVALID')`. Per request,
 * bad input is a typed failure value; only storage outages (`ERR_STORAGE_UNAVAILABLE`,
 * `ERR_STORAGE_CORRUPT`, `ERR_STORAGE_CONFLICT`) and misuse are thrown, and no token is ever
 * returned unless the write behind it succeeded.
 *
 * Events: `issued`; `rotated`; `replayed`; `reuse_detected` followed by `revoked` (reason
 * `reuse_detected`); `revoked` for `revoke`/`revokeAll`; `expired` when a refresh or
 * reauthenticate finds the family past idle or absolute expiry.
 *
 * @example
 * ```ts
 * import { createEngine } from '@auth/core'
 * import { createMemoryStore } from '@auth/storage-memory'
 *
 * const engine = createEngine({
 *   store: createMemoryStore(),
 *   issuer: 'https://api.example.com',
 *   audience: 'api',
 *   secret: process.env.AUTH_SECRET!, // quick start; production passes `keys`
 * })
 * const pair = await engine.issue('user-42', { meta: { userAgent: 'curl' } })
 * const next = await engine.refresh(pair.refreshToken, { binding: 'curl' }) // the default policy binds by user agent
 * ```
 */
export function createEngine(options: EngineOptions): Engine {
  const ctx = resolveEngineOptions(options)

  const policies = Object.freeze(Object.fromEntries(ctx.policies))
  return {
    issuer: ctx.issuer,
    policy: ctx.policy,
    policies,
    clock: ctx.clock,
    dpop: ctx.dpop,
    dpopNonces: createDpopNonces({
      activeKid: () => ctx.keyRing.activeRefreshKid,
      key: (kid, now) => {
        const key = ctx.keyRing.refreshKey(kid, now)
        return key.status === 'ok' ? key.secret : null
      },
    }),

    async issue(subject, issueOptions = {}) {
      checkSubject(subject)
      const claims = checkStoredClaims(issueOptions.claims, ctx.maxClaimsBytes)
      const meta = checkMeta(issueOptions.meta, 'issue')
      const context = checkContext(issueOptions.context, 'issue')
      const clientId = issueOptions.clientId
      if (clientId !== undefined && !isClientId(clientId)) {
        throw new AuthError('ERR_CONFIG_INVALID', 'issue: clientId must be 1 to 255 characters')
      }
      const policyName = issueOptions.policy ?? (clientId === undefined ? undefined : ctx.clientPolicies.get(clientId))
      if (policyName !== undefined && !ctx.policies.has(policyName)) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `issue: policy ${JSON.stringify(policyName)} is not one of the engine's named policies (${[...ctx.policies.keys()].join(', ') || 'none: add it to createEngine({ policies })'})`,
        )
      }
      const named = policyName ?? null
      const policy = ctx.policyOf({ policy: named })
      const jkt = dpopJkt(issueOptions.dpop, ctx.dpop, 'issue')
      if (ctx.dpop === 'required' && jkt === undefined) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          "issue: dpop is 'required', so every login needs a verified DPoP proof (the http layer's login helper checks it and answers 400 without one)",
        )
      }
      const run = () =>
        issue(
          ctx,
          subject,
          claims,
          meta,
          clientId ?? null,
          named,
          shorterAccessTtl(policy, issueOptions.accessTtl, 'issue'),
          jkt ?? null,
          context,
        )
      return ctx.telemetry === undefined ? run() : ctx.telemetry.run('issue', run, issueOutcome)
    },

    async refresh(token, refreshOptions = {}) {
      const binding = refreshOptions.binding ?? null
      if (typeof binding !== 'string' && binding !== null) {
        throw new AuthError('ERR_CONFIG_INVALID', 'refresh: binding must be a string or null')
      }
      const claims = checkAppClaims(refreshOptions.claims, 'refresh')
      const meta = checkMeta(refreshOptions.meta, 'refresh')
      const request: RefreshRequest = {
        binding,
        meta,
        claims,
        clientId: refreshOptions.clientId,
        dpopJkt: dpopJkt(refreshOptions.dpop, ctx.dpop, 'refresh'),
        dpopIat: dpopIat(refreshOptions.dpop),
        context: checkContext(refreshOptions.context, 'refresh'),
        // Checked against the longest policy here; the family's own policy caps it when signing.
        accessTtl: shorterAccessTtl(ctx.policy, refreshOptions.accessTtl, 'refresh', ctx.policies),
      }
      if (ctx.telemetry === undefined) return refresh(ctx, token, request)
      return ctx.telemetry.run('refresh', () => refresh(ctx, token, request), refreshOutcome)
    },

    inspectRefreshToken: (token, inspectOptions) =>
      inspect(
        ctx,
        token,
        inspectOptions?.clientId,
        dpopJkt(inspectOptions?.dpop, ctx.dpop, 'inspectRefreshToken'),
        checkContext(inspectOptions?.context, 'inspectRefreshToken'),
      ),

    async revoke(familyId, reason, revokeOptions) {
      checkReason(reason)
      return familyOp(ctx, familyId, 'revoke', reason, checkContext(revokeOptions?.context, 'revoke'))
    },

    async revokeAll(subject, reason = 'logout_all', revokeOptions) {
      checkReason(reason)
      return revokeAllOf(ctx, subject, reason, checkContext(revokeOptions?.context, 'revokeAll'))
    },

    async list(subject) {
      const live = await liveFamilies(ctx, subject)
      return live.sort((a, b) => b.lastUsedAt - a.lastUsedAt).map(toSummary) satisfies FamilySummary[]
    },

    csrfToken: (familyId) => familyCsrfToken(ctx.keyRing, familyId, ctx.clock.now()),
    async verifyCsrfToken(familyId, token) {
      if (typeof familyId !== 'string' || typeof token !== 'string') return false
      return familyCsrfTokenMatches(ctx.keyRing, familyId, token, ctx.clock.now())
    },

    async reauthenticate(familyId) {
      return familyOp(ctx, familyId, 'reauthenticate')
    },

    async verifyAccess<T extends object = Record<string, unknown>>(
      token: string,
      verifyOptions?: VerifyAccessOptions,
    ): Promise<VerifyAccessResult<T>> {
      if (typeof token !== 'string' || token.length === 0) {
        return failure('ERR_ACCESS_TOKEN_MISSING', 'no access token was presented')
      }
      const now = ctx.clock.now()
      const result = afterVerify<T>(await ctx.codec.verify(token, now), now, ctx.revocations, verifyOptions)
      ctx.telemetry?.verified(result.ok ? 'ok' : result.code)
      return result
    },

    jwks: () => ctx.keyRing.jwks(ctx.clock.now()),

    async check() {
      if ('sync' in ctx.clock && typeof ctx.clock.sync === 'function') await ctx.clock.sync()
      const now = ctx.clock.now()
      if (typeof now !== 'number' || !Number.isFinite(now) || now < EARLIEST_SANE_TIME) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `check: the clock says ${String(now)}, which is not epoch milliseconds after 2020; check the clock option`,
        )
      }
      // The keys: an access token signed now verifies now.
      const probe = await ctx.codec.sign({
        iss: ctx.issuer,
        aud: ctx.audience,
        sub: 'engine-check',
        iat: Math.floor(now / 1000),
        exp: Math.floor(now / 1000) + 60,
        jti: 'engine-check',
        sid: 'engine-check',
        auth_time: Math.floor(now / 1000),
      })
      const verified = await ctx.codec.verify(probe, now)
      if (!verified.ok) {
        throw new AuthError(
          'ERR_CONFIG_INVALID',
          `check: a token signed with the active key does not verify (${verified.code})`,
        )
      }
      await ctx.store.check()
    },
  }
}

/**
 * A per-token `accessTtl`, parsed: at least 1 second and never longer than the policy's (at
 * refresh, before the family is read, the longest of the policies; the signer caps it by the
 * family's own).
 */
function shorterAccessTtl(
  policy: LifetimePolicy,
  value: unknown,
  where: string,
  others: ReadonlyMap<string, LifetimePolicy> = new Map(),
): number | undefined {
  if (value === undefined) return undefined
  const ttl = parseDuration(value as Duration, 'accessTtl')
  const longest = Math.max(policy.accessTtl, ...[...others.values()].map((p) => p.accessTtl))
  if (ttl < 1000 || ttl > longest) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `${where}: accessTtl must be between 1 second and the policy's accessTtl (${longest / 1000} s): a token may live shorter than the policy says, never longer`,
    )
  }
  return ttl
}

/** 2020-01-01: a clock before it is broken (or a test clock given to a production check). */
const EARLIEST_SANE_TIME = Date.UTC(2020, 0, 1)

/**
 * Starts a family: a fresh id and nonce, generation 0. The pair is built before the record is
 * created and returned only if the create succeeded; an id collision (2^-128) draws a new id.
 */
async function issue(
  ctx: EngineContext,
  subject: string,
  claims: Readonly<Record<string, unknown>>,
  meta: FamilyRecord['meta'] | undefined,
  clientId: string | null,
  policyName: string | null,
  accessTtl: number | undefined,
  jkt: string | null,
  context: RequestContext | undefined,
): Promise<TokenPair> {
  const policy = ctx.policyOf({ policy: policyName })
  for (let attempt = 0; attempt <= ctx.maxRetries; attempt++) {
    const now = ctx.clock.now()
    const family = createFamilyRecord({
      id: generateFamilyId(ctx.random),
      subject,
      now,
      nonce: generateNonce(ctx.random),
      claims,
      clientId,
      policy,
      policyName,
      jkt,
      ...(meta === undefined ? {} : { meta }),
    })
    const pair = await tokenPair(ctx, family, 0, now, NO_CLAIMS, accessTtl)
    const created = await ctx.store.create(family)
    if (created.ok) {
      ctx.emit({ ...eventBase(family, now, context), type: 'issued', generation: 0 })
      // Only a subject above the cap costs more than the create: the store counted for us.
      await evictBeyondCap(ctx, family, created.families, context)
      return pair
    }
  }
  throw new AuthError('ERR_STORAGE_CONFLICT', 'issue: every generated family id already existed; is random broken?')
}

/** The thumbprint of a verified proof given to `issue` or `refresh`; misuse throws. */
function dpopJkt(dpop: { readonly jkt: string } | undefined, mode: DpopMode, where: string): string | undefined {
  if (dpop === undefined) return undefined
  if (mode === 'off') {
    throw new AuthError('ERR_CONFIG_INVALID', `${where}: a DPoP proof was given, but the engine's dpop is 'off'`)
  }
  if (typeof dpop?.jkt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(dpop.jkt)) {
    throw new AuthError(
      'ERR_CONFIG_INVALID',
      `${where}: dpop.jkt must be a SHA-256 JWK thumbprint (43 base64url characters)`,
    )
  }
  return dpop.jkt
}

/** A proof's `iat` (seconds), when the caller gave one; misuse throws. */
function dpopIat(dpop: { readonly iat?: number } | undefined): number | undefined {
  const iat = dpop?.iat
  if (iat === undefined) return undefined
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new AuthError('ERR_CONFIG_INVALID', "refresh: dpop.iat must be the proof's iat, seconds since the epoch")
  }
  return iat
}

function checkReason(reason: unknown): asserts reason is RevocationReason {
  if (!REASONS.has(reason)) {
    throw new AuthError('ERR_CONFIG_INVALID', `revoke: unknown reason ${JSON.stringify(reason)}`)
  }
}
