import fc from 'fast-check'
import type { FamilyMeta, FamilyRecord } from '../machine/types.js'
import { REVOCATION_REASONS } from '../machine/types.js'
import { MAX_TIME, makeRecord } from './records.js'

const MINUTE = 60_000
const DAY = 86_400_000

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

/** Login claims as an app might keep them: unicode names and values, nested objects and arrays of JSON values. */
export const claimsArb: fc.Arbitrary<Readonly<Record<string, unknown>>> = fc.dictionary(
  fc.constantFrom('role', 'tenant', 'scopes', 'org', 'ünï', 'x-custom'),
  fc.oneof(
    textArb,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(textArb, { maxLength: 3 }),
    fc.record({ plan: textArb, seats: fc.nat(1000) }),
  ),
  { maxKeys: 4, noNullPrototype: true },
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
      reason: fc.constantFrom(...REVOCATION_REASONS),
      createdAt: time,
      authTime: time,
      lastUsedAt: time,
      rotatedAt: fc.option(time, { nil: null }),
      rotatedBinding: fc.option(textArb, { nil: null }),
      idleExpiresAt: future,
      extra: fc.integer({ min: 0, max: DAY }),
      meta: metaArb,
      revokedAt: time,
      claims: claimsArb,
      policy: fc.option(fc.constantFrom('remembered', 'short', 'ünï'), { nil: null }),
      clientId: fc.option(fc.constantFrom('web', 'ios-app', 'client:with:colons'), { nil: null }),
      jkt: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), { nil: null }),
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
        claims: r.claims,
        policy: r.policy,
        clientId: r.clientId,
        jkt: r.jkt,
      }),
    )
}
