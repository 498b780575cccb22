export { createLocalRevocationFeed, type LocalRevocationFeed, type LocalRevocationFeedOptions } from './local-feed.js'
export {
  createRevokedFamilies,
  DEFAULT_REVOCATION_STALENESS,
  type RevokedFamiliesOptions,
} from './revoked-families.js'
export type { RevocationFeed, RevocationFeedState, RevocationStatus, RevokedEntry, RevokedFamilies } from './types.js'
