import { AuthError, failure } from '../errors/index.js'
import { isFresh } from '../machine/lifetime.js'
import { type Duration, parseDuration } from '../policy/policy.js'
import type { RevokedFamilies } from '../revocation/types.js'
import type { VerifyAccessResult } from '../tokens/types.js'

/** Options of `verifyAccess`, on the engine and on a verifier alike. */
export interface VerifyAccessOptions {
  /** Freshness: refuse with `ERR_AUTH_STALE` if `auth_time` is older than this. */
  readonly maxAuthAge?: Duration
  /**
   * The thumbprint of the DPoP proof that came with the token, already verified against it
   * (`ath`). A token bound to a key (`cnf.jkt`) is refused without a proof by that key: stolen
   * alone, it is worth nothing (RFC 9449 §7.1).
   */
  readonly dpopJkt?: string
}

/**
 * What `verifyAccess` checks after the codec, on the engine and on a resource server's verifier
 * alike: the revocation set (a revoked family is `ERR_ACCESS_TOKEN_REVOKED`; a feed silent past
 * its staleness bound throws `ERR_STORAGE_UNAVAILABLE`, failing closed), then freshness.
 */
export function afterVerify<T extends object>(
  result: VerifyAccessResult,
  now: number,
  revocations: RevokedFamilies | undefined,
  options: VerifyAccessOptions | undefined,
): VerifyAccessResult<T> {
  if (!result.ok) return result
  const cnf = result.claims.cnf
  if (cnf !== undefined && (typeof cnf?.jkt !== 'string' || cnf.jkt !== options?.dpopJkt)) {
    return failure(
      'ERR_ACCESS_TOKEN_INVALID',
      'this access token is bound to a DPoP key: present it with a DPoP proof by that key',
    )
  }
  if (revocations !== undefined) {
    const revocation = revocations.check(result.claims.sid, now)
    if (revocation === 'revoked') return failure('ERR_ACCESS_TOKEN_REVOKED', 'the session has ended; log in again')
    if (revocation === 'stale') {
      throw new AuthError(
        'ERR_STORAGE_UNAVAILABLE',
        'the revocation feed has not been heard within its staleness bound; refusing access tokens until it is',
      )
    }
  }
  const maxAuthAge = options?.maxAuthAge
  if (maxAuthAge !== undefined) {
    // Guards pass whole seconds, prepared once (http.prepareGuard): a number costs a multiply.
    const maxAge = parseDuration(maxAuthAge, 'maxAuthAge')
    if (!isFresh(result.claims.auth_time * 1000, now, maxAge)) {
      return failure('ERR_AUTH_STALE', 'this action needs a recent login; authenticate again')
    }
  }
  return result as VerifyAccessResult<T>
}
