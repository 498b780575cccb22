import { type Failure, failure, type RefreshErrorCode } from '../errors/index.js'
import type { FamilyRecord } from '../machine/types.js'
import { parseRefreshToken, verifyRefreshToken } from '../tokens/refresh-token.js'
import type { EngineContext } from './options.js'

/** A refresh token proven to come from us, with the family as stored right now. */
export type Authenticated =
  | {
      readonly ok: true
      readonly family: FamilyRecord
      readonly generation: number
      /**
       * The token's MAC key is retired (not compromised, within `retiredAt + sessionMaxAge`): the
       * token is authentic, but it may only be used to detect reuse, never to rotate or replay.
       */
      readonly retiredKey: boolean
    }
  | Failure<RefreshErrorCode>

/** The one refusal of a refresh token that is not ours (or names no live family): nothing more is said. */
export const invalid = (): Failure<RefreshErrorCode> =>
  failure('ERR_REFRESH_TOKEN_INVALID', 'the refresh token is not valid; log in again')

/** A token under a retired MAC key may detect reuse, but never rotates or replays. */
export const keyRetired = (): Failure<RefreshErrorCode> =>
  failure('ERR_REFRESH_TOKEN_KEY_RETIRED', 'the refresh token was issued under a retired key; log in again')

/**
 * Proves a refresh token authentic before anything acts on it: parse, find its MAC key, read the
 * family it names, and check the MAC over (version, kid, family id, generation) with that
 * family's nonce. Until this succeeds the family is only read, never written, so a forged or
 * foreign token can never revoke anyone's family. Every refusal is a value.
 */
export async function authenticateRefreshToken(ctx: EngineContext, token: unknown): Promise<Authenticated> {
  if (typeof token !== 'string' || token.length === 0) {
    return failure('ERR_REFRESH_TOKEN_MISSING', 'no refresh token was presented')
  }
  const parsedResult = parseRefreshToken(token)
  if (!parsedResult.ok) return parsedResult
  const parsed = parsedResult.token
  const now = ctx.clock.now()
  const key = ctx.keyRing.refreshKey(parsed.kid, now)
  let secret: Uint8Array
  switch (key.status) {
    case 'ok':
      secret = key.secret
      break
    case 'unknown':
      return invalid()
    case 'retired':
      // A routinely retired key still verifies, for reuse detection, as long as a family it
      // signed can live; a compromised one (no secret) verifies nothing.
      if (key.secret === undefined || now >= key.retiredAt + ctx.longestSessionMaxAge) return keyRetired()
      secret = key.secret
      break
    default: {
      const _never: never = key
      return _never
    }
  }
  const family = await ctx.store.get(parsed.familyId)
  if (family === null) return invalid()
  if (!(await verifyRefreshToken(parsed, secret, family.nonce))) return invalid()
  return { ok: true, family, generation: parsed.generation, retiredKey: key.status === 'retired' }
}
