import type { FamilyMeta, FamilyRecord } from '../machine/types.js'

/** The largest time the suite uses: 9999-12-31T23:59:59.999Z, which every date type can hold. */
export const MAX_TIME = 253_402_300_799_999

const DAY = 86_400_000

/** `bytes` random bytes, base64url-encoded (ids and nonces look like the engine's). */
export function randomToken(bytes = 16): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url')
}

/** A fresh family id (128 random bits, base64url). */
export function newFamilyId(): string {
  return randomToken(16)
}

/** A fresh subject, unique to one test. */
export function newSubject(label = 'user'): string {
  return `${label}-${randomToken(6)}`
}

/**
 * A valid generation-0 record created at `now`, living for a day (idle) and thirty days
 * (absolute), with every field set. Override any field.
 */
export function makeRecord(now: number, overrides: Partial<FamilyRecord> = {}): FamilyRecord {
  return {
    id: newFamilyId(),
    subject: newSubject(),
    generation: 0,
    status: 'active',
    revocation: null,
    createdAt: now,
    authTime: now,
    lastUsedAt: now,
    rotatedAt: null,
    rotatedBinding: null,
    expiresAt: now + 30 * DAY,
    idleExpiresAt: now + DAY,
    version: 1,
    nonce: randomToken(32),
    meta: { userAgent: 'conformance/1.0', ip: '127.0.0.1' },
    claims: { role: 'reader', tenant: 'ünïcödé', scopes: ['read', 'write'], limits: { rpm: 60, beta: true } },
    policy: null,
    clientId: 'web',
    jkt: null,
    ...overrides,
  }
}

/**
 * What the engine would write on a rotation of `record` at `now`: the next generation, one
 * version up. `meta` replaces the family's meta when given.
 */
export function rotate(record: FamilyRecord, now: number, meta?: FamilyMeta): FamilyRecord {
  return {
    ...record,
    generation: record.generation + 1,
    lastUsedAt: now,
    rotatedAt: now,
    rotatedBinding: 'binding-a',
    idleExpiresAt: Math.min(record.expiresAt, now + DAY),
    version: record.version + 1,
    meta: meta ?? record.meta,
  }
}

/** What the engine would write when it revokes `record` at `now`. */
export function revoke(record: FamilyRecord, now: number): FamilyRecord {
  return { ...record, status: 'revoked', revocation: { reason: 'logout', at: now }, version: record.version + 1 }
}
