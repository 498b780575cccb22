export { DEFAULT_ACCESS_TOKEN_CACHE_MAX } from './cache.js'
export {
  type AccessTokenImplementation,
  type AccessTokenVerifyOptions,
  type CreateAccessTokenCodecOptions,
  createAccessTokenCodec,
  createAccessTokenVerify,
  MAX_ACCESS_TOKEN_LENGTH,
} from './codec.js'
export { ACCESS_TOKEN_TYP } from './header.js'
