import type { LifetimePolicy } from '../policy/policy.js'
import { absoluteExpiry, assertTime, idleExpiry } from './lifetime.js'
import {
  FAMILY_RECORD_FIELDS,
  FAMILY_STATUSES,
  type FamilyClaims,
  type FamilyMeta,
  type FamilyRecord,
  REVOCATION_REASONS,
} from './types.js'

/** What {@link createFamilyRecord} needs: everything random or time-dependent comes in from outside. */
export interface NewFamily {
  /** Family id (`sid`): 128 random bits, base64url, chosen by the engine. */
  readonly id: string
  readonly subject: string
  /** Login time, epoch milliseconds. */
  readonly now: number
  /** Per-family random secret (base64url) mixed into every refresh token MAC. */
  readonly nonce: string
  /** Defaults to `{}`. */
  readonly meta?: FamilyMeta
  /** The app's claims given at login, already checked. Defaults to `{}`. */
  readonly claims?: FamilyClaims
  readonly policy: LifetimePolicy
  /** The name of `policy` when it is a named one; null (the default) for the engine's default policy. */
  readonly policyName?: string | null
  /** The client the family logs in through. Defaults to null. */
  readonly clientId?: string | null
  /** The DPoP key thumbprint the family is bound to. Defaults to null. */
  readonly jkt?: string | null
}

/**
 * The record of a fresh login: generation 0, version 1, `authTime = createdAt = lastUsedAt = now`,
 * absolute expiry `now + sessionMaxAge`, idle expiry `now + refreshIdleTtl` (never after the
 * absolute one). Pure: the id, nonce and time are passed in.
 */
export function createFamilyRecord(input: NewFamily): FamilyRecord {
  const { id, subject, now, nonce, meta = {}, claims = {}, policy } = input
  assertTime(now)
  const expiresAt = absoluteExpiry(now, policy)
  return {
    id,
    subject,
    generation: 0,
    status: 'active',
    revocation: null,
    createdAt: now,
    authTime: now,
    lastUsedAt: now,
    rotatedAt: null,
    rotatedBinding: null,
    expiresAt,
    idleExpiresAt: idleExpiry(now, expiresAt, policy),
    version: 1,
    nonce,
    meta,
    claims,
    policy: input.policyName ?? null,
    clientId: input.clientId ?? null,
    jkt: input.jkt ?? null,
  }
}

/** Whether `value` may be a value of {@link FamilyMeta}: a string, a finite number, a boolean or null. */
export function isMetaValue(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
}

/**
 * Why `meta` is not a {@link FamilyMeta}: `'not an object'`, or the name of the first member
 * whose value is not a scalar; null when it is one.
 */
export function metaProblem(meta: unknown): string | null {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return 'not an object'
  for (const name in meta) {
    if (Object.hasOwn(meta, name) && !isMetaValue((meta as Record<string, unknown>)[name])) return name
  }
  return null
}

const FIELDS: ReadonlySet<string> = new Set(FAMILY_RECORD_FIELDS)
const STATUSES: ReadonlySet<unknown> = new Set(FAMILY_STATUSES)
const REASONS: ReadonlySet<unknown> = new Set(REVOCATION_REASONS)
const TIMES = ['createdAt', 'authTime', 'lastUsedAt', 'expiresAt', 'idleExpiresAt'] as const

/**
 * The one validator of a family record: why `value` is not a {@link FamilyRecord} (the name of
 * the first bad field, e.g. `'generation'` or `'revocation.reason'`), or null when it is one.
 * Every driver calls it on what it decodes, and the engine on what every driver returns, so a
 * record the rules cannot rest on never reaches `decide`: drivers throw
 * `AuthError('ERR_STORAGE_CORRUPT')` naming the field (never its value: the record holds the
 * family's nonce).
 *
 * It checks every field's type and range (times and counters are safe integers, generation
 * >= 0, version >= 1), the status against {@link FAMILY_STATUSES}, the revocation reason against
 * {@link REVOCATION_REASONS}, that a revoked family has a revocation and an active one has none,
 * that `meta` holds scalars only, that `claims` is a plain object, and that the record has no field
 * this version does not know (`'unknown field <name>'`): a record written by a newer version is
 * refused rather than rewritten without what it carries.
 */
export function familyRecordProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object'
  const r = value as Record<string, unknown>
  if (typeof r.id !== 'string' || r.id === '') return 'id'
  if (typeof r.subject !== 'string') return 'subject'
  if (!isNat(r.generation)) return 'generation'
  if (!STATUSES.has(r.status)) return 'status'
  if (r.revocation !== null) {
    if (typeof r.revocation !== 'object' || Array.isArray(r.revocation)) return 'revocation'
    const rev = r.revocation as Record<string, unknown>
    if (!REASONS.has(rev.reason)) return 'revocation.reason'
    if (!Number.isSafeInteger(rev.at)) return 'revocation.at'
  }
  if ((r.status === 'revoked') !== (r.revocation !== null)) return 'revocation'
  for (const field of TIMES) {
    if (!Number.isSafeInteger(r[field])) return field
  }
  if (r.rotatedAt !== null && !Number.isSafeInteger(r.rotatedAt)) return 'rotatedAt'
  if (r.rotatedBinding !== null && typeof r.rotatedBinding !== 'string') return 'rotatedBinding'
  if (!isNat(r.version) || r.version < 1) return 'version'
  if (typeof r.nonce !== 'string' || r.nonce === '') return 'nonce'
  if (metaProblem(r.meta) !== null) return 'meta'
  if (typeof r.claims !== 'object' || r.claims === null || Array.isArray(r.claims)) return 'claims'
  for (const field of ['policy', 'clientId', 'jkt'] as const) {
    if (r[field] !== null && (typeof r[field] !== 'string' || r[field] === '')) return field
  }
  for (const name in r) {
    if (!FIELDS.has(name)) return `unknown field ${name}`
  }
  return null
}

function isNat(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}
