import type { LifetimePolicy } from '../policy/policy.js'

/** Every status a family can have. `revoked` is absorbing: it never comes back. */
export const FAMILY_STATUSES = ['active', 'revoked'] as const

/** Whether a family can still be refreshed: one of {@link FAMILY_STATUSES}. */
export type FamilyStatus = (typeof FAMILY_STATUSES)[number]

/**
 * Every reason a family can end for: the one list in the library. Drivers, the conformance
 * suite and the engine all check against it, so a new reason is added here and nowhere else.
 */
export const REVOCATION_REASONS = ['logout', 'logout_all', 'reuse_detected', 'admin', 'expired', 'evicted'] as const

/** Why a family ended: one of {@link REVOCATION_REASONS}. */
export type RevocationReason = (typeof REVOCATION_REASONS)[number]

/** JSON-safe metadata recorded with a family (user agent, IP, device name…). */
export type FamilyMeta = Readonly<Record<string, string | number | boolean | null>>

/**
 * The app's own claims given at login, kept with the family and put back into every access token
 * it issues: a JSON object (bounded in size by the engine) whose names are not reserved.
 */
export type FamilyClaims = Readonly<Record<string, unknown>>

/**
 * One family: one login and the chain of refresh tokens descending from it. Its `id` is the
 * `sid` claim of every access token it issues. All times are epoch milliseconds.
 *
 * O(1) per family: only the current generation and the per-family `nonce` are stored; any
 * generation ever issued can be re-authenticated from them (see tokens/refresh-token).
 */
export interface FamilyRecord {
  /** Family id (`sid`): 128 random bits, base64url. */
  readonly id: string
  /** The subject (`sub`). */
  readonly subject: string
  /** The current generation: the only one that can rotate. 0 at login. */
  readonly generation: number
  readonly status: FamilyStatus
  /** Set once, when the family is revoked. */
  readonly revocation: { readonly reason: RevocationReason; readonly at: number } | null
  /** When the family was created (login). */
  readonly createdAt: number
  /** When the subject last proved who they are (`auth_time`). Moves only on reauthenticate. */
  readonly authTime: number
  /** Last successful refresh (or creation). */
  readonly lastUsedAt: number
  /** When `generation - 1` was rotated into `generation`; null before the first rotation. */
  readonly rotatedAt: number | null
  /** Binding of the client that performed that rotation (see `graceBinding`). */
  readonly rotatedBinding: string | null
  /** Absolute expiry: `createdAt + sessionMaxAge`. */
  readonly expiresAt: number
  /** Idle expiry: `lastUsedAt + refreshIdleTtl`, never after `expiresAt`. Stores may drop the record after it. */
  readonly idleExpiresAt: number
  /** Compare-and-set version: 1 at creation, +1 on every write. */
  readonly version: number
  /** Per-family random secret (base64url) mixed into every refresh token MAC; only in storage. */
  readonly nonce: string
  readonly meta: FamilyMeta
  /** The app's claims given at login (`{}` when none): every access token of the family carries them. */
  readonly claims: FamilyClaims
  /** The name of the lifetime policy the family was born under; null for the engine's default policy. */
  readonly policy: string | null
  /** The client the family logged in through (RFC 6749 §6 binds a refresh token to it); null when none. */
  readonly clientId: string | null
  /** With DPoP, the thumbprint of the key the family is bound to (RFC 9449 `jkt`); null when unbound. */
  readonly jkt: string | null
}

/** Every field of a {@link FamilyRecord}: a stored record with any other field is refused (a newer version wrote it). */
export const FAMILY_RECORD_FIELDS = [
  'id',
  'subject',
  'generation',
  'status',
  'revocation',
  'createdAt',
  'authTime',
  'lastUsedAt',
  'rotatedAt',
  'rotatedBinding',
  'expiresAt',
  'idleExpiresAt',
  'version',
  'nonce',
  'meta',
  'claims',
  'policy',
  'clientId',
  'jkt',
] as const satisfies readonly (keyof FamilyRecord)[]

/** Something that happens to a family. Time comes in the event, never from a clock. */
export type FamilyEvent =
  | {
      readonly type: 'refresh'
      /** The generation the presented (authenticated) refresh token carries. */
      readonly generation: number
      readonly now: number
      /** The presenter's binding under the policy's `graceBinding`, or null if none. */
      readonly binding: string | null
    }
  | { readonly type: 'revoke'; readonly reason: RevocationReason; readonly now: number }
  | { readonly type: 'reauthenticate'; readonly now: number }

/**
 * What `decide` concluded. Every decision that changes the family carries the `next` record
 * (with `version + 1`) for the engine to compare-and-set; the others change nothing.
 */
export type Decision =
  /** The current generation was presented: the family moves to `next.generation`. */
  | { readonly type: 'rotated'; readonly next: FamilyRecord }
  /** The previous generation inside the grace window, same binding: hand out the same successor again. Nothing is written. */
  | { readonly type: 'replayed'; readonly generation: number }
  /** An older generation, or the previous one outside the window or from another binding: the family is revoked. */
  | { readonly type: 'reuse_detected'; readonly next: FamilyRecord }
  /** The family passed idle or absolute expiry; `next` records it revoked with reason `expired`. */
  | { readonly type: 'expired'; readonly kind: 'idle' | 'absolute'; readonly next: FamilyRecord }
  /** A revoke event ended the family. */
  | { readonly type: 'revoked'; readonly next: FamilyRecord }
  /** A reauthenticate event moved `authTime`. */
  | { readonly type: 'reauthenticated'; readonly next: FamilyRecord }
  /** Nothing happens: the family is already revoked, or the generation is from the future. */
  | { readonly type: 'rejected'; readonly reason: 'revoked' | 'unknown_generation' }

/** The signature of the pure transition function. */
export type Decide = (family: FamilyRecord, event: FamilyEvent, policy: LifetimePolicy) => Decision
