import { isAuthError } from '@auth/core'
import { makeRecord, recordArb } from '@auth/storage-conformance'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeRow, encodeRow, isStorableKey } from '../src/row.js'

const NOW = Date.UTC(2026, 0, 1)

/** What each driver hands back for a row: pg gives bigint columns as strings, mysql2 and better-sqlite3 numbers. */
const asPg = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]))
const asBigInt = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? BigInt(v) : v]))

function corruptCode(row: unknown): string {
  try {
    decodeRow(row, 'auth_families')
    return 'decoded'
  } catch (error) {
    return isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`
  }
}

describe('row codec', () => {
  it('round-trips any valid record as numbers, as pg strings and as bigints (property)', () => {
    fc.assert(
      fc.property(recordArb(NOW), (record) => {
        const row = encodeRow(record) as unknown as Record<string, unknown>
        expect(decodeRow(row, 't')).toEqual(record)
        expect(decodeRow(asPg(row), 't')).toEqual(record)
        expect(decodeRow(asBigInt(row), 't')).toEqual(record)
      }),
      { numRuns: 500 },
    )
  })

  const valid = encodeRow(makeRecord(NOW)) as unknown as Record<string, unknown>
  const revoked = encodeRow(
    makeRecord(NOW, { status: 'revoked', revocation: { reason: 'logout', at: NOW } }),
  ) as unknown as Record<string, unknown>

  const spoiled: [string, Record<string, unknown>][] = [
    ['a generation beyond 2^53 (pg string)', { ...asPg(valid), generation: '9007199254740993' }],
    ['a generation beyond 2^53 (bigint)', { ...valid, generation: 2n ** 60n }],
    ['a fractional time', { ...valid, created_at: 1.5 }],
    ['a negative generation', { ...valid, generation: -1 }],
    ['a numeric string with a leading zero', { ...valid, version: '01' }],
    ['text in a number column', { ...valid, generation: 'seven' }],
    ['version 0', { ...valid, version: 0 }],
    ['an unknown status', { ...valid, status: 'maybe' }],
    ['an active family with a revocation reason', { ...valid, revocation_reason: 'logout' }],
    ['a revoked family without a reason', { ...revoked, revocation_reason: null }],
    ['a revoked family without a time', { ...revoked, revoked_at: null }],
    ['an unknown revocation reason', { ...revoked, revocation_reason: 'bored' }],
    ['meta that is not JSON', { ...valid, meta: '{"userAgent": nope' }],
    ['meta that is an array', { ...valid, meta: '[1,2]' }],
    ['meta with a nested object', { ...valid, meta: '{"a":{"b":1}}' }],
    ['meta that is null', { ...valid, meta: 'null' }],
    ['an empty nonce', { ...valid, nonce: '' }],
    ['a NULL nonce', { ...valid, nonce: null }],
    ['a missing column', Object.fromEntries(Object.entries(valid).filter(([k]) => k !== 'idle_expires_at'))],
    ['a number as subject', { ...valid, subject: 42 }],
    ['a binding that is a number', { ...valid, rotated_binding: 7 }],
  ]

  for (const [name, row] of spoiled) {
    it(`refuses ${name} with ERR_STORAGE_CORRUPT`, () => {
      expect(corruptCode(row)).toBe('ERR_STORAGE_CORRUPT')
    })
  }

  it('names the column but never prints a value (the nonce is a secret)', () => {
    const row = { ...valid, status: 'maybe' }
    const error = (() => {
      try {
        decodeRow(row, 'auth_families')
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).toMatch(/column status/)
    expect(error?.message).not.toContain(String(valid.nonce))
    expect(error?.message).not.toContain('maybe')
    expect(corruptCode(null)).toBe('ERR_STORAGE_CORRUPT')
  })

  it('stores only keys every dialect can hold, and refuses to write a record that does not fit', () => {
    expect(isStorableKey('fam-1')).toBe(true)
    expect(isStorableKey('東京👩‍💻')).toBe(true)
    for (const key of ['', 'a'.repeat(256), 'a\u0000b', '\ud800x', 42]) expect(isStorableKey(key)).toBe(false)
    for (const overrides of [{ subject: 'a'.repeat(256) }, { generation: 1.5 }, { nonce: 'a\u0000' }, { id: '' }]) {
      const error = (() => {
        try {
          encodeRow(makeRecord(NOW, overrides))
        } catch (e) {
          return e
        }
      })()
      expect(isAuthError(error) && error.code).toBe('ERR_CONFIG_INVALID')
    }
  })
})
