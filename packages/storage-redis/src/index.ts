export type { RedisStore, RedisStoreOptions } from './redis-store.js'
export { createRedisStore } from './redis-store.js'
export type { RedisRevocationFeed, RedisRevocationFeedOptions } from './revocation-feed.js'
export { createRedisRevocationFeed } from './revocation-feed.js'
