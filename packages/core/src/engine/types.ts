import type { Failure, RefreshErrorCode } from '../errors/index.js'
import type { AuthEventHandler, RequestContext } from '../events/index.js'
import type { JWKS, KeyRing, KeyRingInput, SigningAlgorithm } from '../keys/types.js'
import type { FamilyMeta, FamilyRecord, RevocationReason } from '../machine/types.js'
import type { Duration, LifetimePolicy, PolicyInput } from '../policy/policy.js'
import type { RevokedFamilies } from '../revocation/types.js'
import type { Clock, RandomReader } from '../runtime.js'
import type { DpopNonces } from '../tokens/dpop.js'
import type { VerifyAccessResult } from '../tokens/types.js'
import type { VerifyAccessOptions } from '../verifier/checks.js'
import type { FamilyStore } from './store.js'
import type { EngineTelemetry } from './telemetry.js'

/** What `issue` and a successful `refresh` hand out. Times are epoch milliseconds. */
export interface TokenPair {
  /** `'DPoP'` for a DPoP-bound family (its access tokens carry `cnf.jkt`), else `'Bearer'`. */
  readonly tokenType: 'Bearer' | 'DPoP'
  readonly accessToken: string
  readonly accessTokenExpiresAt: number
  readonly refreshToken: string
  /** When this refresh token dies if unused (idle expiry, capped by the absolute one). */
  readonly refreshTokenExpiresAt: number
  /** When the family ends whatever happens (absolute expiry). */
  readonly familyExpiresAt: number
  readonly familyId: string
  readonly generation: number
  /** The family's named policy (`IssueOptions.policy`), or null for the default. */
  readonly policy: string | null
}

/** A family as shown to its owner (no nonce, no internals). */
export interface FamilySummary {
  readonly id: string
  readonly subject: string
  readonly generation: number
  readonly status: FamilyRecord['status']
  readonly revocation: FamilyRecord['revocation']
  readonly createdAt: number
  readonly authTime: number
  readonly lastUsedAt: number
  readonly expiresAt: number
  readonly idleExpiresAt: number
  readonly meta: FamilyMeta
}

/** Outcome of `engine.refresh`. */
export type RefreshResult =
  | {
      readonly ok: true
      readonly type: 'rotated' | 'replayed'
      readonly pair: TokenPair
      readonly family: FamilySummary
    }
  | (Failure<RefreshErrorCode> & {
      /** Set when the refused token named a real family (e.g. the one reuse just revoked). */
      readonly familyId?: string
      /**
       * Why the family ended, when the refusal is that it did (`ERR_REFRESH_TOKEN_REVOKED`,
       * `_REUSED`, `_EXPIRED`): so a client can tell "you signed out on another device" from
       * "your session was used from somewhere else". Only for a token whose MAC verified: a
       * forged one learns nothing.
       */
      readonly revocationReason?: RevocationReason
    })

/** Outcome of `engine.revoke` / `engine.reauthenticate`. */
export type FamilyOpResult =
  | { readonly ok: true; readonly family: FamilySummary }
  | Failure<'ERR_FAMILY_NOT_FOUND' | 'ERR_FAMILY_REVOKED' | 'ERR_FAMILY_EXPIRED'>

/** Outcome of `engine.inspectRefreshToken`: which family an authentic refresh token belongs to. */
export type InspectRefreshResult =
  | { readonly ok: true; readonly familyId: string; readonly subject: string; readonly generation: number }
  | (Failure<RefreshErrorCode> & {
      /** Set when the token is authentic but bound to another client than the one named (RFC 7009 §2.1). */
      readonly otherClient?: true
    })

/** Options of `engine.issue`. */
export interface IssueOptions {
  /**
   * The app's own claims (a role, a tenant). They are kept with the family and put back into every
   * access token it issues, so they survive rotation. Reserved names (see `RESERVED_CLAIMS`) are
   * refused, and so is JSON over `maxClaimsBytes` (default 2 KiB). Sessions lists never show them.
   */
  readonly claims?: Record<string, unknown>
  /** Recorded with the family and shown in the session list (user agent, IP…). */
  readonly meta?: FamilyMeta
  /** The request this call serves (IP, user agent), for the events it raises. The http layer passes it. */
  readonly context?: RequestContext
  /**
   * The OAuth client the family logs in through (RFC 6749 §6 binds a refresh token to its
   * client): its `client_id` claim, and only this client may refresh or revoke it.
   */
  readonly clientId?: string
  /**
   * This access token's lifetime, shorter than the policy's `accessTtl` (flask-jwt-extended's
   * `expires_delta`): for a sensitive action, a short-lived token. Never longer (refused).
   */
  readonly accessTtl?: Duration
  /**
   * One of the engine's named `policies` (e.g. `'remembered'` for a ticked "remember me"): the
   * family records its name and every decision about it uses that policy. Default: the
   * `clientPolicies` entry of `clientId`, else the default policy.
   */
  readonly policy?: string
  /**
   * A verified DPoP proof of the login request (`verifyDpopProof`; the http layer checks it):
   * the family is bound to its key's thumbprint, its refreshes need proofs by that key, and its
   * access tokens carry `cnf.jkt`. Needs the engine's `dpop` to be `'allowed'` or `'required'`.
   */
  readonly dpop?: { readonly jkt: string }
}

/** Whether the engine binds families to DPoP keys (`EngineOptions.dpop`). */
export type DpopMode = 'off' | 'allowed' | 'required'

/** Options of `engine.refresh`. */
export interface RefreshOptions {
  /** The presenter's binding under `policy.graceBinding` (the http layer computes it). */
  readonly binding?: string | null
  /** Merged into the family's meta on rotation (e.g. a new IP); keys it does not name keep their login-time values. */
  readonly meta?: FamilyMeta
  /** The request this call serves (IP, user agent), for the events it raises. The http layer passes it. */
  readonly context?: RequestContext
  /**
   * Claims for the new access token only: they win over the login claims the family keeps, name
   * by name, and are not written back to the family. The `claims` loader wins over both.
   */
  readonly claims?: Record<string, unknown>
  /** The presenting client: refused (`ERR_REFRESH_TOKEN_INVALID`) when the family is bound to another. */
  readonly clientId?: string
  /** The new access token's lifetime, shorter than the policy's `accessTtl` (never longer: refused). */
  readonly accessTtl?: Duration
  /**
   * The verified DPoP proof of this request, if it had one. A DPoP-bound family without one is
   * refused (`ERR_DPOP_PROOF_INVALID`) and nothing is revoked (anyone holding the useless token
   * could otherwise log the user out); one by another key is a thief's reuse: refused
   * (`ERR_REFRESH_TOKEN_REUSED`) and the family is revoked. `iat` (seconds, the proof's own) tells
   * a proof replayed from before the family's last rotation: refused, nothing revoked.
   */
  readonly dpop?: { readonly jkt: string; readonly iat?: number }
}

/** Options of `engine.inspectRefreshToken`. */
export interface InspectOptions {
  /** The presenting client (RFC 7009 revocation): refused when the family is bound to another. */
  readonly clientId?: string
  /** The request this call serves, for the events it raises (a reuse found here revokes). */
  readonly context?: RequestContext
  /**
   * The verified DPoP proof of this request, if it had one. A DPoP-bound family is found only
   * with a proof by its own key; without one, or with another key's, the answer is
   * `ERR_DPOP_PROOF_INVALID` and nothing is revoked (logout is not a rotation, and the token
   * alone must not let its holder end the session).
   */
  readonly dpop?: { readonly jkt: string }
}

/** Options of `engine.revoke` and `engine.revokeAll`. */
export interface RevokeOptions {
  /** The request this call serves (IP, user agent), for the `revoked` events. */
  readonly context?: RequestContext
}

/** Options of `engine.verifyAccess`. */
export type { VerifyAccessOptions } from '../verifier/checks.js'

/** The engine: the only part of the library that calls storage. */
export interface Engine {
  /** The `iss` of every access token (`EngineOptions.issuer`). */
  readonly issuer: string
  readonly policy: LifetimePolicy
  /** The named policies (`EngineOptions.policies`), resolved. */
  readonly policies: Readonly<Record<string, LifetimePolicy>>
  /** The engine's source of time (`EngineOptions.clock`): the http layer and tests read time from it. */
  readonly clock: Clock
  /** `EngineOptions.dpop`, resolved: the http layer reads and checks proofs unless `'off'`. */
  readonly dpop: DpopMode
  /**
   * Stateless DPoP server nonces (`DPoP-Nonce`, RFC 9449 §8), MAC'd under the active refresh
   * key with their own label, so every node of the deployment accepts another's and they follow
   * the key ring's rotation. The http layer sends and checks them.
   */
  readonly dpopNonces: DpopNonces
  /** Starts a family for `subject` (after the app checked their credentials) and returns generation 0. */
  issue(subject: string, options?: IssueOptions): Promise<TokenPair>
  /** Presents a refresh token: rotation, grace replay, or a typed refusal (reuse revokes the family). */
  refresh(token: string, options?: RefreshOptions): Promise<RefreshResult>
  /**
   * Authenticates a refresh token without using it (for logout and RFC 7009 revocation). A
   * rotated-away generation outside the grace window is reuse here too: the family is revoked
   * (`reuse_detected`) and the answer is `ERR_REFRESH_TOKEN_REUSED`.
   */
  inspectRefreshToken(token: string, options?: InspectOptions): Promise<InspectRefreshResult>
  /** Ends one family. */
  revoke(familyId: string, reason: RevocationReason, options?: RevokeOptions): Promise<FamilyOpResult>
  /**
   * Ends every active family of `subject`, a page of 100 at a time; returns how many were
   * revoked, and only once every page is done. An outage part-way throws
   * `ERR_STORAGE_UNAVAILABLE` saying how many were revoked; call it again to finish. A login that
   * completes while it runs may survive it.
   */
  revokeAll(subject: string, reason?: RevocationReason, options?: RevokeOptions): Promise<{ readonly revoked: number }>
  /** The subject's active families, most recently used first. */
  list(subject: string): Promise<FamilySummary[]>
  /**
   * Cookie transport: the CSRF token of a family, an HMAC of its id under the active refresh MAC
   * key (`<kid>.<mac>`). The same for every generation, so other tabs keep working after a
   * rotation; a value planted by anyone without the key matches no family.
   */
  csrfToken(familyId: string): Promise<string>
  /** Whether `token` is the CSRF token of `familyId` under a refresh MAC key in use now. */
  verifyCsrfToken(familyId: string, token: string): Promise<boolean>
  /** Records that the subject just proved who they are again (moves `auth_time`). */
  reauthenticate(familyId: string): Promise<FamilyOpResult>
  /** Verifies an access token: signature, `typ`, algorithm, `iss`, `aud`, `exp`, freshness. Never throws for bad input. */
  verifyAccess<T extends object = Record<string, unknown>>(
    token: string,
    options?: VerifyAccessOptions,
  ): Promise<VerifyAccessResult<T>>
  /** The public keys that verify access tokens. */
  jwks(): JWKS
  /**
   * The start-up check, for the app to await before it listens: the clock gives a sane time, the
   * keys sign and verify, and the store is reachable and ready (its `check()`, e.g. SQL migrated).
   * Throws `AuthError` naming the problem and the fix: `ERR_CONFIG_INVALID` for configuration (a
   * store that is not migrated), `ERR_STORAGE_UNAVAILABLE` for an outage.
   */
  check(): Promise<void>
}

/**
 * Options of `createEngine`. Everything is validated when the engine is built: a bad option
 * throws `AuthError('ERR_CONFIG_INVALID')` naming it, never a failure at the first request.
 */
export interface EngineOptions {
  /** Where families live (`@auth/storage-memory`, `@auth/storage-redis`, `@auth/storage-sql`, or your own driver). */
  readonly store: FamilyStore
  /** The `iss` of every access token, and the only one `verifyAccess` accepts. */
  readonly issuer: string
  /** The `aud` of every access token; `verifyAccess` accepts a token naming any of them. */
  readonly audience: string | readonly string[]
  /** Production keys: a key ring, or what `createKeyRing` builds one from. Give this or `secret`, not both. */
  readonly keys?: KeyRingInput | KeyRing
  /**
   * Quick start: every key derived from one secret (HKDF): 32 random bytes, as a Uint8Array or
   * a base64, base64url or hex string (`openssl rand -base64 32`). Give this or `keys`, not both.
   * Rotating it logs everybody out; production passes `keys`.
   */
  readonly secret?: string | Uint8Array
  /**
   * Accept a `secret` that is not 32 random bytes (a passphrase). Key ids derived from it are in
   * every token, so a guessable secret can be tested offline: for a throwaway demo only.
   */
  readonly dangerouslyAllowWeakSecret?: boolean
  /** The access-token algorithm when keys are derived from `secret`. Default `'EdDSA'`. */
  readonly algorithm?: SigningAlgorithm
  /** The lifetime policy; every field has a safe default (see `DEFAULT_POLICY`). */
  readonly policy?: PolicyInput
  /**
   * Named policies, chosen per family at login (`issue(…, { policy: 'remembered' })`): each is
   * `policy` with its own fields on top, validated the same way. `graceBinding`, `leeway` and
   * `maxFamiliesPerSubject` are engine-wide and refused here.
   *
   * ```ts
   * policies: { remembered: { refreshIdleTtl: '30d', sessionMaxAge: '90d' }, brief: { sessionCookies: true } }
   * ```
   */
  readonly policies?: Readonly<Record<string, Omit<PolicyInput, 'graceBinding' | 'leeway' | 'maxFamiliesPerSubject'>>>
  /** The named policy each client's logins get by default, e.g. `{ mobile: 'remembered' }`. */
  readonly clientPolicies?: Readonly<Record<string, string>>
  /** The source of time. Default `Date.now`. */
  readonly clock?: Clock
  /**
   * Decide in the store's time: when the store has `now()` (Redis, SQL and memory do), the engine
   * measures the offset of its clock to the store's once a minute and adds it, so that nodes
   * whose clocks disagree agree on every grace window and expiry. Default: true on the system
   * clock, false when a `clock` is injected (a test's clock is the truth).
   */
  readonly alignClockToStore?: boolean
  /** The source of randomness (family ids, nonces, `jti`). Default `crypto.getRandomValues`. */
  readonly random?: RandomReader
  /** Receives every event; `reuse_detected` is a security alert. Errors it throws are reported and ignored. */
  readonly onEvent?: AuthEventHandler
  /**
   * Metrics and traces: `otel()` from `@auth/core/otel` (OpenTelemetry), or any
   * {@link EngineTelemetry}. Without it nothing is measured and nothing is loaded.
   */
  readonly telemetry?: EngineTelemetry
  /** Cache of verified access tokens (LRU, entries die at `exp`). `false` turns it off. Default `{ max: 10_000 }`. */
  readonly accessTokenCache?: false | { readonly max?: number }
  /**
   * How many times one operation re-reads and re-decides after losing a compare-and-set race
   * before it gives up with `AuthError('ERR_STORAGE_CONFLICT')`. Default 16.
   */
  readonly maxRetries?: number
  /**
   * The `client_id` claim (RFC 9068) of access tokens whose family logged in through no named
   * client (`issue` without `clientId`). Default: the issuer, the first-party client.
   */
  readonly defaultClientId?: string
  /** The largest login claims a family keeps, in bytes of UTF-8 JSON. Default 2048 (an access cookie stays under the 4,096 bytes browsers keep). */
  readonly maxClaimsBytes?: number
  /**
   * DPoP (RFC 9449): `'off'` (default) binds nothing; `'allowed'` binds a family whose login came
   * with a proof and keeps working for bearer clients; `'required'` refuses a login without one.
   * A bound family's refreshes need proofs by its key; its access tokens carry `cnf.jkt`.
   */
  readonly dpop?: DpopMode
  /**
   * Claims re-read for every access token the engine signs (at login and at each refresh),
   * computed from the family: for claims that may change during a session (a role revoked
   * today). Login claims (`issue({ claims })`) are kept with the family anyway; on a name clash
   * the loader wins, then `refresh(token, { claims })`, then the login claims. Nothing the loader
   * returns is stored. Reserved names are refused. Like flask-jwt-extended's
   * `additional_claims_loader`. Keep it fast: it runs on every refresh.
   */
  readonly claims?: (family: FamilySummary) => Record<string, unknown> | Promise<Record<string, unknown>>
  /**
   * Opt-in: revocation that reaches every node before access tokens expire. Access tokens are
   * stateless, so without this a revoked family's access tokens pass until their `exp`. With it,
   * every revocation (revoke, revokeAll, reuse detection, expiry) is added to this set and
   * published on its feed, and `verifyAccess` refuses an access token of a revoked family with
   * `ERR_ACCESS_TOKEN_REVOKED`: one Map lookup after the signature check, no store round trip.
   * When the feed has been unheard for longer than its staleness bound, `verifyAccess` throws
   * `AuthError('ERR_STORAGE_UNAVAILABLE')` (fail closed; HTTP 503 with `Retry-After`).
   * Build it with `createRevokedFamilies({ feed })`; see docs/operations.md.
   */
  readonly revocations?: RevokedFamilies
}
