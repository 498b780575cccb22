export {
  ACCESS_TOKEN_TYP,
  type AccessTokenImplementation,
  type CreateAccessTokenCodecOptions,
  createAccessTokenCodec,
  DEFAULT_ACCESS_TOKEN_CACHE_MAX,
  MAX_ACCESS_TOKEN_LENGTH,
} from './access-token.js'
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
export type {
  AccessTokenCodec,
  AccessTokenCodecOptions,
  KeyRing,
  ParsedRefreshToken,
  RefreshTokenFields,
} from './types.js'
