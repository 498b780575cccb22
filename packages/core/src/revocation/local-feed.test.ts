import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors/index.js'
import { createLocalRevocationFeed } from './local-feed.js'
import { createRevokedFamilies } from './revoked-families.js'

describe('createLocalRevocationFeed heartbeats', () => {
  it('keeps a subscriber in touch by itself, so the staleness bound never trips in one process', async () => {
    const feed = createLocalRevocationFeed({ heartbeatInterval: 20 })
    // Real time: the bound (100 ms) is shorter than the wait, so only the feed's own heartbeats keep it live.
    const set = createRevokedFamilies({ feed, staleness: 0.1 })
    await set.ready()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(set.check('someone', Date.now())).toBe('live')
    await set.close()
  })

  it('with heartbeatInterval false, silence past the bound is stale (fail closed)', async () => {
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    const set = createRevokedFamilies({ feed, staleness: 0.1 })
    await set.ready()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(set.check('someone', Date.now())).toBe('stale')
    await set.close()
  })

  it('refuses a nonsense interval', () => {
    expect(() => createLocalRevocationFeed({ heartbeatInterval: 0 })).toThrow(AuthError)
    expect(() => createLocalRevocationFeed({ heartbeatInterval: Number.NaN })).toThrow(AuthError)
  })
})
