import type { FamilyMeta, FamilyRecord } from '@auth/core'
import fc from 'fast-check'

/** The largest time the suite uses: 9999-12-31T23:59:59.999Z, which every date type can hold. */
export const MAX_TIME = 253_402_300_799_999

const MINUTE = 60_000
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

/**
 * Well-formed Unicode text without U+0000: emoji, combining marks, right-to-left scripts, quotes
 * and backslashes. (Lone surrogates cannot be stored as UTF-8, and PostgreSQL refuses U+0000, so
 * they are outside the contract: the http layer never puts them in meta.)
 */
export const textArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 24 }),
    fc.constantFrom('Mozilla/5.0 (X11; Linux x86_64)', 'ünïcödé', '東京', 'שלום', '👩‍💻🔑', 'a"b\\c\'d', ' ', '\n\t'),
  )
  .filter((s) => !s.includes('\u0000'))

/** A JSON-safe meta value: text, a finite number (no -0), a boolean or null. */
const metaValueArb: fc.Arbitrary<string | number | boolean | null> = fc.oneof(
  textArb,
  fc.integer(),
  fc.constantFrom(0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.constant(null),
)

/** Meta with unicode keys and values, as the http layer might record it. */
export const metaArb: fc.Arbitrary<FamilyMeta> = fc.dictionary(
  textArb.filter((k) => k !== '__proto__'),
  metaValueArb,
  { maxKeys: 8, noNullPrototype: true },
)

/**
 * Any valid record that is still alive at `now` (its `idleExpiresAt` at least an hour ahead), with
 * extreme but legal values: generations up to 2^53-1, times up to year 9999, null and non-null optional
 * fields, both statuses, unicode subjects and meta. Its `version` is 1, as `create` requires.
 */
export function recordArb(now: number): fc.Arbitrary<FamilyRecord> {
  const time = fc.integer({ min: 0, max: MAX_TIME })
  const future = fc.integer({ min: now + 60 * MINUTE, max: MAX_TIME })
  return fc
    .record({
      subject: fc.oneof(
        textArb.filter((s) => s.length > 0),
        fc.constant('user@example.com'),
      ),
      generation: fc.oneof(fc.nat(1000), fc.constant(Number.MAX_SAFE_INTEGER), fc.maxSafeNat()),
      revoked: fc.boolean(),
      reason: fc.constantFrom('logout', 'logout_all', 'reuse_detected', 'admin', 'expired' as const),
      createdAt: time,
      authTime: time,
      lastUsedAt: time,
      rotatedAt: fc.option(time, { nil: null }),
      rotatedBinding: fc.option(textArb, { nil: null }),
      idleExpiresAt: future,
      extra: fc.integer({ min: 0, max: DAY }),
      meta: metaArb,
      revokedAt: time,
    })
    .map((r) =>
      makeRecord(now, {
        subject: r.subject,
        generation: r.generation,
        status: r.revoked ? 'revoked' : 'active',
        revocation: r.revoked ? { reason: r.reason, at: r.revokedAt } : null,
        createdAt: r.createdAt,
        authTime: r.authTime,
        lastUsedAt: r.lastUsedAt,
        rotatedAt: r.rotatedAt,
        rotatedBinding: r.rotatedBinding,
        idleExpiresAt: r.idleExpiresAt,
        expiresAt: Math.min(MAX_TIME, r.idleExpiresAt + r.extra),
        meta: r.meta,
      }),
    )
}
