import { type AccessTokenErrorCode, type Failure, failure } from '../../errors/index.js'

/** A refused access token. */
export type Bad = Failure<AccessTokenErrorCode>

/**
 * Every refusal of an access token, built once: the hot path hands out these frozen values and
 * allocates nothing for a refusal (except `claimType`, which names the claim).
 */
export const fail = {
  missing: failure('ERR_ACCESS_TOKEN_MISSING', 'no access token was given'),
  malformed: failure('ERR_ACCESS_TOKEN_MALFORMED', 'the access token is malformed'),
  tooLong: failure('ERR_ACCESS_TOKEN_MALFORMED', 'the access token is too long'),
  header: failure('ERR_ACCESS_TOKEN_MALFORMED', 'the access token header is malformed'),
  signatureEncoding: failure('ERR_ACCESS_TOKEN_MALFORMED', 'the access token signature is malformed'),
  payload: failure('ERR_ACCESS_TOKEN_MALFORMED', 'the access token payload is not a JSON object'),
  utf8: failure('ERR_ACCESS_TOKEN_MALFORMED', 'the access token is not valid UTF-8'),
  claimType: (name: string) =>
    failure('ERR_ACCESS_TOKEN_MALFORMED', `the access token claim "${name}" is missing or of the wrong type`),
  alg: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token algorithm is not allowed'),
  typ: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token type is not at+jwt'),
  crit: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token uses unsupported critical header parameters'),
  kid: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token key is unknown'),
  retired: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token key has been retired'),
  signature: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token signature is invalid'),
  iss: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token issuer is not accepted'),
  aud: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token audience is not accepted'),
  iat: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token was issued in the future'),
  nbf: failure('ERR_ACCESS_TOKEN_INVALID', 'the access token is not yet valid'),
  expired: failure('ERR_ACCESS_TOKEN_EXPIRED', 'the access token has expired'),
} as const
