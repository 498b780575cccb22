export type {
  AccessTokenCodec,
  AccessTokenCodecOptions,
  KeyRing,
  ParsedRefreshToken,
  RefreshTokenFields,
} from './types.js'
