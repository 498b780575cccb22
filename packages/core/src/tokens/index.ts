// @auth/core/tokens: the token codecs, for driver authors, tools and the benchmarks. Apps use the
// engine (`@auth/core`), which signs, verifies and rotates through these.
export {
  ACCESS_TOKEN_TYP,
  type AccessTokenImplementation,
  type CreateAccessTokenCodecOptions,
  createAccessTokenCodec,
  DEFAULT_ACCESS_TOKEN_CACHE_MAX,
  MAX_ACCESS_TOKEN_LENGTH,
} from './access-token/index.js'
export {
  DPOP_ALGORITHMS,
  type DpopProof,
  type DpopProofErrorCode,
  type DpopProofOptions,
  type DpopProofRequest,
  type DpopProofResult,
  verifyDpopProof,
} from './dpop.js'
export {
  encodeRefreshToken,
  generateFamilyId,
  generateNonce,
  MAX_REFRESH_TOKEN_LENGTH,
  type ParseRefreshTokenResult,
  parseRefreshToken,
  REFRESH_TOKEN_VERSION,
  verifyRefreshToken,
} from './refresh-token.js'
export {
  type AccessClaims,
  type AccessTokenCodec,
  type AccessTokenCodecOptions,
  type ParsedRefreshToken,
  RESERVED_CLAIMS,
  type RefreshTokenFields,
  type VerifyAccessResult,
} from './types.js'
