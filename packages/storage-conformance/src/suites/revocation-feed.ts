// The revocation-feed suite: the multi-node scenarios every RevocationFeed must pass (ours on
// Redis and PostgreSQL, or yours on another broker). The test file keeps what is its backend's
// own: how a node is built, how its connection is cut, the log.
import type { Engine, RevokedFamilies } from '@auth/core'
import { createAuthHttp } from '@auth/core/http'
import { expect, it } from 'vitest'

/** One app node: an engine whose `revocations` set hears the feed. */
export interface FeedNode {
  readonly engine: Engine
  readonly revocations: RevokedFamilies
}

/** How node A revokes in the latency scenario (`reuse`: a replay of generation 0 after two rotations). */
export type RevokeWay = 'revoke' | 'revokeAll' | 'reuse'

/** What a feed's test file provides to {@link revocationFeedSuite}. */
export interface RevocationFeedDriver {
  /** Tag of the printed latency line, e.g. `'[redis feed]'`. */
  readonly label: string
  /** The server-side cut, in words, for a test name: `'its subscriber is killed (CLIENT KILL)'`. */
  readonly disconnection: string
  /** The ways node A revokes, taken in turn over the 50 revocations. */
  readonly revokeWays: readonly RevokeWay[]
  /**
   * A new node called `name` (unique per test file) on the shared store, with its own feed
   * (heartbeat 100 ms), set (`staleness` default '5s') and engine. `reconnectMs`: how long its
   * subscriber waits before reconnecting after losing its connection (default: fast).
   */
  node(name: string, options?: { readonly staleness?: string; readonly reconnectMs?: number }): FeedNode
  /** Ends the subscriber connection of node `name` from the server side; resolves to how many it ended. */
  disconnect(name: string): Promise<number>
}

/** The binding every refresh of the suite presents, so it runs under any `graceBinding`. */
const SUITE_BINDING = 'revocation-feed-suite'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `done` every 5 ms; throws after `timeoutMs`. */
async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** Registers the shared scenarios (call inside the feed's `describe`). */
export function revocationFeedSuite(driver: RevocationFeedDriver): void {
  it('a revoke on node A is refused on node B in well under a second (50 revocations)', async () => {
    const a = driver.node('a')
    const b = driver.node('b')
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const latencies: number[] = []
    for (let i = 0; i < 50; i++) {
      const pair = await a.engine.issue(`user-${i}`)
      expect((await b.engine.verifyAccess(pair.accessToken)).ok).toBe(true) // now in B's verified-token cache
      const start = performance.now()
      const way = driver.revokeWays[i % driver.revokeWays.length]
      if (way === 'revoke') expect((await a.engine.revoke(pair.familyId, 'admin')).ok).toBe(true)
      else if (way === 'revokeAll') expect((await a.engine.revokeAll(`user-${i}`)).revoked).toBe(1)
      else {
        const rotated = await a.engine.refresh(pair.refreshToken, { binding: SUITE_BINDING })
        expect(rotated.ok).toBe(true)
        // Reuse outside the grace window: replay generation 0 after a second rotation.
        const again = rotated.ok
          ? await a.engine.refresh(rotated.pair.refreshToken, { binding: SUITE_BINDING })
          : rotated
        expect(again.ok).toBe(true)
        expect(await a.engine.refresh(pair.refreshToken, { binding: SUITE_BINDING })).toMatchObject({
          code: 'ERR_REFRESH_TOKEN_REUSED',
        })
      }
      await until('B to refuse', async () => (await b.engine.verifyAccess(pair.accessToken)).ok === false, 2_000)
      latencies.push(performance.now() - start)
      expect(await b.engine.verifyAccess(pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    }
    latencies.sort((x, y) => x - y)
    const p50 = latencies[Math.floor(latencies.length / 2)] as number
    const max = latencies[latencies.length - 1] as number
    console.log(
      `${driver.label} revoke on A -> refused on B over 50 revocations: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    )
    expect(max).toBeLessThan(1_000)
  })

  it(`after ${driver.disconnection}, a node resyncs the revocations it missed`, async () => {
    const a = driver.node('a2')
    const b = driver.node('b2', { reconnectMs: 400 })
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const pairs = await Promise.all([1, 2, 3].map((i) => a.engine.issue(`missed-${i}`)))
    expect(await driver.disconnect('b2')).toBe(1)
    // Revoke only once B has noticed, so none of these can still reach it on the dying connection.
    await until('B to notice the disconnection', () => !b.revocations.status().connected)
    for (const pair of pairs) expect((await a.engine.revoke(pair.familyId, 'admin')).ok).toBe(true)
    await sleep(50)
    // B heard none of them (and it is still within its staleness bound).
    for (const pair of pairs) expect((await b.engine.verifyAccess(pair.accessToken)).ok).toBe(true)
    // The feed reconnects by itself; the next heartbeat reports connected and the set is resynced from the log.
    await until('B to reconnect and resync', () => b.revocations.status().synced)
    for (const pair of pairs) {
      expect(await b.engine.verifyAccess(pair.accessToken)).toMatchObject({ code: 'ERR_ACCESS_TOKEN_REVOKED' })
    }
  })

  it('a node that cannot hear the feed for longer than the staleness bound fails closed (503 with Retry-After), then recovers', async () => {
    const a = driver.node('a3')
    const c = driver.node('c3', { staleness: '600ms', reconnectMs: 2_000 })
    await Promise.all([a.revocations.ready(), c.revocations.ready()])
    const http = createAuthHttp({ engine: c.engine })
    const pair = await a.engine.issue('stale-user')
    const request = {
      method: 'GET',
      path: '/api/me',
      headers: new Headers({ authorization: `Bearer ${pair.accessToken}` }),
      body: { kind: 'none' as const },
    }
    expect((await http.authenticate(request)).ok).toBe(true)
    expect(await driver.disconnect('c3')).toBe(1)
    await sleep(800)
    await expect(c.engine.verifyAccess(pair.accessToken)).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    const refused = await http.authenticate(request)
    expect(refused.ok).toBe(false)
    if (!refused.ok) {
      expect(refused.response.status).toBe(503)
      expect(refused.response.headers['retry-after']).toBe('1')
    }
    await until('C to reconnect and resync', () => c.revocations.status().synced, 5_000)
    expect((await c.engine.verifyAccess(pair.accessToken)).ok).toBe(true)
  })
}
