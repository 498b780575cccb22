import { constantTimeEqual } from '@oslojs/crypto/subtle'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { KeyRing } from '../keys/types.js'
import { hmacSha256 } from './refresh-token.js'

/** `<kid>.<43 characters>`: the kid of the refresh MAC key, then the MAC. */
const CSRF_TOKEN = /^([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{43})$/

/** What is MAC'd: a label no refresh token's MAC input can equal (those start with `rt1.`). */
function csrfInput(kid: string, familyId: string): string {
  return `csrf1.${kid}.${familyId}`
}

/**
 * The CSRF token of a family (cookie transport): an HMAC of its id under the active refresh MAC
 * key, prefixed with that key's kid. It is the same for every generation of the family, so
 * every tab keeps working after a rotation; a value planted by anyone without the key (a
 * sibling subdomain that can set cookies) matches no family.
 */
export async function familyCsrfToken(keyRing: KeyRing, familyId: string, now: number): Promise<string> {
  const kid = keyRing.activeRefreshKid
  const key = keyRing.refreshKey(kid, now)
  if (key.status !== 'ok') throw new Error(`@auth/core: the active refresh key "${kid}" is ${key.status}`)
  return `${kid}.${encodeBase64urlNoPadding(await hmacSha256(key.secret, csrfInput(kid, familyId)))}`
}

/**
 * Whether `token` is the CSRF token of `familyId` under a refresh MAC key that is in use at `now`
 * (the active one, or one not yet retired). Constant time in the MAC comparison.
 */
export async function familyCsrfTokenMatches(
  keyRing: KeyRing,
  familyId: string,
  token: string,
  now: number,
): Promise<boolean> {
  const match = CSRF_TOKEN.exec(token)
  if (match === null) return false
  const kid = match[1] as string
  const key = keyRing.refreshKey(kid, now)
  if (key.status !== 'ok') return false
  const expected = encodeBase64urlNoPadding(await hmacSha256(key.secret, csrfInput(kid, familyId)))
  const encoder = new TextEncoder()
  return constantTimeEqual(encoder.encode(expected), encoder.encode(match[2] as string))
}

/** Whether `value` has the shape of a family CSRF token (before any MAC check). */
export function isCsrfTokenSyntax(value: string): boolean {
  return CSRF_TOKEN.test(value)
}
