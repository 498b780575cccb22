import { serviceUrl } from '@auth/core/testing'
import { runStoreConformance } from '@auth/storage-conformance'
import { describe } from 'vitest'
import { redisHarness } from './redis-harness.js'

const url = serviceUrl('REDIS_URL', 'Redis conformance')

describe.skipIf(!url)('redis', () => {
  runStoreConformance({
    name: 'redis',
    expiry: 'native',
    network: true,
    setup: async () => redisHarness(url as string),
  })
})
